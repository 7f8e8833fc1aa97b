using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Workers.Api;
using Workers.MicroBenchmarks.Store;
using Workers.Service;
using Workers.Store;

namespace Workers.MicroBenchmarks.Streaming;

/// <summary>One event of a running turn to every one of its SSE readers: the run's feed publishes it to the hub
/// (<c>TurnEventFeed.Publish</c>), each reader's <c>TurnEventStream</c> takes it from its channel and its
/// <c>ServerSentEventsResult</c> writes the frame into the response (a response body that discards what it is sent). An
/// operation ends when every reader has written the frame. The readers are real HTTP-less responses on the thread pool, so
/// the time includes waking them; the store is real too (each reader reads it once a second while it follows the turn).</summary>
[MemoryDiagnoser]
public class SseFanOutBenchmarks
{
    private const string EventJson = """{"type":"text_delta","text":" streaming","sequence":0}""";

    private readonly CancellationTokenSource _disconnect = new();
    private readonly List<Task> _responses = [];
    private readonly WrittenFrames _frames = new();
    private TemporaryStore _store = null!;
    private TurnEventHub _hub = null!;
    private TurnEventFeed _feed = null!;
    private long _sequence;

    [Params(1, 16, 100)]
    public int Readers { get; set; }

    [GlobalSetup]
    public async Task ConnectReadersAsync()
    {
        _store = await TemporaryStore.CreateAsync();
        var turn = _store.NextTurn();
        await _store.Sqlite.EnqueueAsync(turn, CancellationToken.None);
        // Claimed, so the readers follow it as a running turn instead of ending at once.
        await _store.Sqlite.ClaimAsync(new ClaimRequest("micro-benchmark", TimeSpan.FromHours(1), null, [], MaxAttempts: 1),
            TimeProvider.System.GetUtcNow(), CancellationToken.None);
        _hub = new TurnEventHub();
        _feed = _hub.OpenFeed(turn.Id);
        for (var i = 0; i < Readers; i++)
        {
            var stream = new TurnEventStream(_store.Sqlite, _hub);
            var response = new ServerSentEventsResult(_frames.Counted(stream.ReadAsync(turn.Id, 0, _disconnect.Token)),
                TimeSpan.FromSeconds(15), TimeProvider.System);
            var context = new DefaultHttpContext { RequestAborted = _disconnect.Token };
            _responses.Add(Task.Run(() => response.ExecuteAsync(context)));
        }

        // The first event stays in memory until every reader has it: a reader that subscribes after it was published is
        // given it from there, so all are connected and following once it is written everywhere.
        var connected = _frames.Expect(Readers);
        _feed.Publish(NextEvent());
        await connected.WaitAsync(TimeSpan.FromSeconds(30));
        _feed.Stored(1);
    }

    [GlobalCleanup]
    public async Task DisconnectReadersAsync()
    {
        await _disconnect.CancelAsync();
        await Task.WhenAll(_responses).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _feed.Dispose();
        await _store.DisposeAsync();
        _disconnect.Dispose();
    }

    [Benchmark]
    public Task PublishToAllReaders()
    {
        var written = _frames.Expect(Readers);
        _feed.Publish(NextEvent());
        // As the sink's batch writer does once the event is stored: memory lets it go, so the feed stays small.
        _feed.Stored(1);
        return written;
    }

    private StoredEvent NextEvent() => new(++_sequence, "text_delta", EventJson, DateTimeOffset.UnixEpoch);
}
