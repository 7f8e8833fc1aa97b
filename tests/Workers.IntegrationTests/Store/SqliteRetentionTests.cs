using System.Globalization;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>Retention over many turns on a real SQLite file: bounded batches, each its own transaction, with the write
/// gate free between them for the claims and event writes of running turns.</summary>
public sealed class SqliteRetentionTests : IAsyncLifetime
{
    private const int BatchSize = 30;
    private const int Expired = 100;
    private const int WithRuns = 5;

    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Cutoff = T0.AddMinutes(5);

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-retention-").FullName;
    private SqliteTurnStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _store = new SqliteTurnStore(Path.Combine(_directory, "workers.db")) { RetentionBatchSize = BatchSize };
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task ApplyRetention_ManyTurns_DeletesThemAllInBatches_WithOtherWritesBetweenBatches()
    {
        // Arrange: expired turns (cancelled while queued, and some that ran, with their runs), one turn still queued that
        // will end before the cutoff while retention runs, and one that will end after the cutoff.
        for (var i = 0; i < Expired; i++)
        {
            var id = Id(i);
            await _store.EnqueueAsync(Turn(id, T0), Ct);
            if (i < WithRuns)
            {
                await RunToEndAsync(id, T0.AddMinutes(1));
            }
            else
            {
                await _store.RequestCancelAsync(id, Cancelled(T0.AddMinutes(1)), "{}", T0.AddMinutes(1), Ct);
            }
        }

        await _store.EnqueueAsync(Turn("ends-during-retention", T0), Ct);
        await _store.EnqueueAsync(Turn("fresh", T0), Ct);
        var turnsAfterBatch = new List<int>();
        _store.AfterRetentionBatch = async cancellationToken =>
        {
            turnsAfterBatch.Add(await CountTurnsAsync());
            if (turnsAfterBatch.Count == 1)
            {
                // Another writer between two batches: it must get the gate (a held gate would leave it waiting, and the
                // bounded wait fails the test); the turn it ends is old enough for a later batch to delete.
                await _store.EnqueueAsync(Turn("enqueued-during-retention", T0.AddMinutes(6)), cancellationToken)
                    .WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                await _store.RequestCancelAsync("ends-during-retention", Cancelled(T0.AddMinutes(2)), "{}", T0.AddMinutes(2),
                    cancellationToken).WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                // Ends after the cutoff, so it stays. After the turn above: the store stamps timed writes in commit order.
                await _store.RequestCancelAsync("fresh", Cancelled(T0.AddMinutes(9)), "{}", T0.AddMinutes(9), cancellationToken)
                    .WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
            }
        };

        // Act
        var deleted = (await _store.ApplyRetentionAsync(Cutoff, Ct)).Turns;

        // Assert: every expired turn is gone with its events and runs, in batches of at most BatchSize, and the turn that
        // ended between two batches went with a later one.
        Assert.Equal(Expired + 1, deleted);
        // 102 turns: 30 go, then one is enqueued (73) and one more expires (71 to go): 30, 30, then the last 11.
        Assert.Equal([72, 43, 13, 2], turnsAfterBatch);
        Assert.Equal(["enqueued-during-retention", "fresh"], await RemainingAsync());
        for (var i = 0; i < Expired; i += 7)
        {
            Assert.Empty(await _store.ReadEventsAsync(Id(i), 0, 10, Ct));
            Assert.Empty(await _store.ListRunsAsync(Id(i), Ct));
        }

        Assert.Single(await _store.ReadEventsAsync("fresh", 0, 10, Ct));
        Assert.Equal(0, (await _store.ApplyRetentionAsync(Cutoff, Ct)).Turns);
    }

    private async Task RunToEndAsync(string id, DateTimeOffset at)
    {
        var claimed = (await _store.ClaimAsync(new ClaimRequest("w1", TimeSpan.FromSeconds(30), null, [id], 3), at, Ct))!;
        Assert.Equal(id, claimed.Turn.Id);
        var terminal = new StoredEvent(1, "completed", """{"type":"completed","sequence":1}""", at);
        await _store.CompleteAsync(claimed.Lease, new TurnCompletion(TurnState.Succeeded, null, "{}", terminal),
            new RunRecord(id, 1, "w1", at, at, "succeeded", "{}"), at, Ct);
    }

    private async Task<int> CountTurnsAsync() => (await RemainingAsync()).Count;

    private async Task<List<string>> RemainingAsync()
    {
        var remaining = new List<string>();
        foreach (var id in Enumerable.Range(0, Expired).Select(Id).Concat(["ends-during-retention", "enqueued-during-retention", "fresh"]))
        {
            if (await _store.GetTurnAsync(id, Ct) is not null)
            {
                remaining.Add(id);
            }
        }

        return remaining;
    }

    private static string Id(int i) => "old-" + i.ToString("D3", CultureInfo.InvariantCulture);

    private static NewTurn Turn(string id, DateTimeOffset at) => new(id, id, "default", "{}", "hash", at);

    private static StoredEvent Cancelled(DateTimeOffset at) => new(1, "cancelled", """{"type":"cancelled","sequence":1}""", at);
}
