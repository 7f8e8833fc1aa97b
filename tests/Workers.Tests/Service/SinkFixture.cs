using Workers.Service;
using Workers.Store;
using Workers.Store.Sqlite;
using Workers.Turns;
using Workers.Tests.Service.Scripted;

namespace Workers.Tests.Service;

/// <summary>One claimed turn in the real SQLite store (a throwaway directory) behind a <see cref="FaultyTurnStore"/>,
/// a live reader on the hub and a fake clock: what a <see cref="StoreEventSink"/> works against.</summary>
internal sealed class SinkFixture : IAsyncDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);

    private const string TurnId = "t1";

    private readonly string _dataDirectory;
    private readonly SqliteTurnStore _sqlite;

    private SinkFixture(string dataDirectory)
    {
        _dataDirectory = dataDirectory;
        _sqlite = new SqliteTurnStore(Path.Combine(dataDirectory, "workers.db"));
        Store = new FaultyTurnStore(_sqlite, Time);
        Live = Hub.Subscribe(TurnId);
    }

    public SteppedClock Time { get; } = new();

    public FaultyTurnStore Store { get; }

    public TurnEventHub Hub { get; } = new();

    /// <summary>A reader of the turn's live events, subscribed before anything was emitted.</summary>
    public TurnEventHub.Subscription Live { get; }

    public ClaimedTurn Claimed { get; private set; } = null!;

    public static async Task<SinkFixture> CreateAsync()
    {
        var fixture = new SinkFixture(Directory.CreateTempSubdirectory("workers-sink-tests-").FullName);
        var ct = TestContext.Current.CancellationToken;
        await fixture.Store.InitializeAsync(ct);
        await fixture.Store.EnqueueAsync(new NewTurn(TurnId, "c1", "alpha", "{}", "hash", fixture.Time.GetUtcNow()), ct);
        fixture.Claimed = (await fixture.Store.ClaimAsync(new ClaimRequest("worker-under-test", LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), ct))!;
        return fixture;
    }

    public StoreEventSink CreateSink(int maxBufferedEvents = StoreEventSink.Limits.DefaultMaxBufferedEvents) =>
        new(Store, Hub, Claimed.Lease, Time, FlushInterval, 0, new StoreEventSink.Limits(LeaseDuration, maxBufferedEvents));

    /// <summary>A runner's result that ended cancelled, as a run stopped by the sink's token does.</summary>
    public static TurnResult CancelledResult() => new()
    {
        TurnId = TurnId, Profile = "alpha", Family = "acp-json-rpc", Status = TurnStatus.Cancelled, Reason = FailureReasons.Cancelled,
        Turn = "first", Timing = new TurnTiming(),
    };

    /// <summary>Writes the turn's end as the run does once the sink finished: the result and the sink's terminal event
    /// under the lease, retried by the sink.</summary>
    public Task CompleteAsync(StoreEventSink sink, TurnResult result)
    {
        var now = Time.GetUtcNow();
        var completion = new TurnCompletion(TurnState.Failed, result.Reason, "{}", sink.Terminal!);
        var run = new RunRecord(TurnId, 1, Claimed.Lease.Owner, now, now, "failed", "{}");
        return sink.RetryAsync(ct => Store.CompleteAsync(Claimed.Lease, completion, run, now, ct), TestContext.Current.CancellationToken);
    }

    public static TextDelta Text(long sequence) => new($"token {sequence}") { Sequence = sequence };

    /// <summary>The sequences stored for the turn, in order.</summary>
    public async Task<IReadOnlyList<long>> StoredAsync() =>
        [.. (await Store.ReadEventsAsync(TurnId, 0, 100_000, TestContext.Current.CancellationToken)).Select(e => e.Sequence)];

    /// <summary>The sequences live readers received so far, in order.</summary>
    public IReadOnlyList<long> ReceivedLive()
    {
        var received = new List<long>();
        while (Live.Events.TryRead(out var stored))
        {
            received.Add(stored.Sequence);
        }

        return received;
    }

    public Task<StoredTurn> TurnAsync() => Store.GetTurnAsync(TurnId, TestContext.Current.CancellationToken)!;

    /// <summary>Moves the clock from one wake-up of the sink to the next until <paramref name="condition"/> holds.</summary>
    public Task StepUntilAsync(Func<bool> condition) => Time.StepUntilAsync(() => Task.FromResult(condition()));

    public Task StepUntilAsync(Func<Task<bool>> condition) => Time.StepUntilAsync(condition);

    public async ValueTask DisposeAsync()
    {
        Live.Dispose();
        await _sqlite.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
