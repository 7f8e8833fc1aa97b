using System.Globalization;
using Microsoft.Data.Sqlite;
using Workers.IntegrationTests.Support;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>Group commit on a real SQLite file (<c>specs/store.md</c>, "Group commit"): the writes waiting at the moment share
/// one transaction and one commit, each in its own savepoint, and a caller's task ends only once its write is committed. To put
/// several writes in one group for sure, a test holds the writer at its next batch (a test seam), queues the writes, and waits
/// until the writer holds them all before it lets it go.</summary>
public sealed class SqliteGroupCommitTests : SqliteStoreTest
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async ValueTask DisposeAsync()
    {
        // A test that failed while it held the writer: disposal waits for the writer.
        _release.TrySetResult();
        await base.DisposeAsync();
    }

    // Batches bounded by count alone: a loaded machine must not split a group the test built on purpose.
    protected override void Configure(SqliteTurnStore store) => store.Writer.MaxBatchDuration = TimeSpan.MaxValue;

    [Fact]
    public async Task WritesOfOneGroup_OneCommit_AFailingRequestFailsAloneWithItsOwnException()
    {
        // Arrange: one queued turn, and a running one with an event stored.
        await EnqueueAsync("running", "r");
        await EnqueueAsync("queued-before", "q");
        var claimed = (await Store.ClaimAsync(new ClaimRequest("w1", TimeSpan.FromMinutes(1), null, [], 3), T0, Ct))!;
        Assert.Equal("running", claimed.Turn.Id);
        await Store.AppendEventsAsync(claimed.Lease, [Event(1)], Ct);
        var commits = Store.CommitCount;
        var release = HoldNextBatch();

        // Act: queued in this order while the writer is held, so they form one group.
        var first = Store.EnqueueAsync(NewTurn("a1", "a"), Ct);
        var second = Store.EnqueueAsync(NewTurn("a2", "a"), Ct);
        // Queued now: queued-before, a1, a2 — the limit check sees the group's earlier writes.
        var overTheLimit = Store.EnqueueAsync(NewTurn("full", "f") with { QueueLimit = 3 }, Ct);
        var staleFencing = Store.AppendEventsAsync(claimed.Lease with { Fencing = claimed.Lease.Fencing + 1 }, [Event(2)], Ct);
        var duplicateSequence = Store.AppendEventsAsync(claimed.Lease, [Event(2), Event(1)], Ct);
        var events = Store.AppendEventsAsync(claimed.Lease, [Event(2), Event(3)], Ct);
        // The failed enqueue left no turn behind: this one is within its limit of 4.
        var withinTheLimit = Store.EnqueueAsync(NewTurn("b1", "b") with { QueueLimit = 4 }, Ct);
        await Poll.UntilAsync(() => Store.Writer.PendingCount == 7, "the writer to hold the seven writes");
        release();

        // Assert: each caller got its own answer, from one commit.
        Assert.Equal(EnqueueOutcome.Created, (await first).Outcome);
        Assert.Equal((EnqueueOutcome.Created, 2L), ((await second).Outcome, (await second).Turn.Sequence));
        var full = await Assert.ThrowsAsync<QueueFullException>(() => overTheLimit);
        Assert.Equal(3L, full.Queued);
        await Assert.ThrowsAsync<LeaseLostException>(() => staleFencing);
        await Assert.ThrowsAsync<SqliteException>(() => duplicateSequence);
        await events;
        Assert.Equal(EnqueueOutcome.Created, (await withinTheLimit).Outcome);
        Assert.Equal(commits + 1, Store.CommitCount);

        // The file holds the group's writes and nothing of the failed ones.
        Assert.Equal(["a1", "a2", "b1", "queued-before", "running"], await ReadColumnAsync("SELECT id FROM turns ORDER BY id;"));
        Assert.Equal(["1", "2", "3"], await ReadColumnAsync("SELECT sequence FROM events WHERE turn_id = 'running' ORDER BY sequence;"));
        Assert.Equal(["4"], await ReadColumnAsync("SELECT queued FROM queue_count;"));
    }

    [Fact]
    public async Task ACallersTask_EndsOnlyOnceTheCommitHoldingItsWriteIsDone()
    {
        var committing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Store.Writer.BeforeCommit = () =>
        {
            committing.TrySetResult();
            return commit.Task;
        };

        var enqueue = Store.EnqueueAsync(NewTurn("a1", "a"), Ct);
        await committing.Task.WaitAsync(Poll.DefaultTimeout, Ct);

        // The write ran, but its transaction is not committed: the caller still waits, and nobody else sees it.
        Assert.False(enqueue.IsCompleted);
        Assert.Empty(await ReadColumnAsync("SELECT id FROM turns;"));

        commit.SetResult();
        await enqueue;
        Assert.Equal(["a1"], await ReadColumnAsync("SELECT id FROM turns;"));
    }

    [Fact]
    public async Task ACallerCancelledBeforeTheWriterTookItsRequest_IsAnsweredAtOnce_AndWritesNothing()
    {
        var release = HoldNextBatch();
        var first = Store.EnqueueAsync(NewTurn("a1", "a"), Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var withdrawn = Store.EnqueueAsync(NewTurn("withdrawn", "w"), cancel.Token);
        await Poll.UntilAsync(() => Store.Writer.PendingCount == 2, "the writer to hold both writes");

        await cancel.CancelAsync();

        // Answered while the writer is still held: it did not wait for its turn to be skipped.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn.WaitAsync(Poll.DefaultTimeout, Ct));
        release();
        await first;
        Assert.Equal(["a1"], await ReadColumnAsync("SELECT id FROM turns;"));
    }

    [Fact]
    public async Task MoreWritesThanOneBatchTakes_RunInArrivalOrder_InFewerCommitsThanWrites()
    {
        const int Writes = (GroupCommitWriter.MaxRequestsPerBatch * 2) + 10;
        var release = HoldNextBatch();
        var commits = Store.CommitCount;

        var enqueues = Enumerable.Range(1, Writes).Select(i => Store.EnqueueAsync(NewTurn($"t{i}", "shared"), Ct)).ToList();
        await Poll.UntilAsync(() => Store.Writer.PendingCount == Writes, "the writer to hold every write");
        release();
        var results = await Task.WhenAll(enqueues).WaitAsync(Poll.DefaultTimeout, Ct);

        // Every write is stored, numbered in the order it was asked for, in as few commits as the batch bound allows.
        Assert.All(results, r => Assert.Equal(EnqueueOutcome.Created, r.Outcome));
        Assert.Equal(Enumerable.Range(1, Writes).Select(i => (long)i), results.Select(r => r.Turn.Sequence));
        Assert.Equal(Enumerable.Range(1, Writes).Select(i => $"t{i}"),
            await ReadColumnAsync("SELECT id FROM turns WHERE conversation_id = 'shared' ORDER BY sequence;"));
        Assert.Equal(3, Store.CommitCount - commits);
    }

    [Fact]
    public async Task ManyConcurrentProducers_EveryTurnStoredOnce_InEachProducersOrder()
    {
        const int Producers = 16;
        const int TurnsEach = 25;

        // Each producer enqueues into its own conversation and into one they all share, one call after the other.
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < TurnsEach; i++)
            {
                var own = await Store.EnqueueAsync(NewTurn($"p{p}-own-{i}", $"c{p}"), Ct);
                var shared = await Store.EnqueueAsync(NewTurn($"p{p}-shared-{i}", "shared"), Ct);
                Assert.Equal((EnqueueOutcome.Created, EnqueueOutcome.Created, i + 1L), (own.Outcome, shared.Outcome, own.Turn.Sequence));
            }
        }, Ct))).WaitAsync(Poll.DefaultTimeout, Ct);

        // Read from the file by a fresh connection: all committed, each conversation numbered without a gap, and the shared
        // conversation's numbering follows each producer's own order and the insertion order.
        Assert.Equal([$"{Producers * TurnsEach * 2}"], await ReadColumnAsync("SELECT COUNT(*) FROM turns;"));
        var shared = await ReadColumnAsync("SELECT id FROM turns WHERE conversation_id = 'shared' ORDER BY sequence;");
        Assert.Equal(shared, await ReadColumnAsync("SELECT id FROM turns WHERE conversation_id = 'shared' ORDER BY enqueue_order;"));
        Assert.Equal([$"{Producers * TurnsEach},1,{Producers * TurnsEach}"],
            await ReadColumnAsync("SELECT COUNT(*) || ',' || MIN(sequence) || ',' || MAX(sequence) FROM turns WHERE conversation_id = 'shared';"));
        for (var p = 0; p < Producers; p++)
        {
            var producer = p;
            Assert.Equal(Enumerable.Range(0, TurnsEach).Select(i => $"p{producer}-shared-{i}"),
                shared.Where(id => id.StartsWith($"p{producer}-", StringComparison.Ordinal)));
        }
    }

    /// <summary>Holds the writer before its next batch until the returned action is called.</summary>
    private Action HoldNextBatch()
    {
        var held = 0;
        Store.Writer.BeforeBatch = () => Interlocked.Exchange(ref held, 1) == 0 ? _release.Task : Task.CompletedTask;
        return _release.SetResult;
    }

    private async Task EnqueueAsync(string id, string conversation) =>
        Assert.Equal(EnqueueOutcome.Created, (await Store.EnqueueAsync(NewTurn(id, conversation), Ct)).Outcome);

    private static StoredEvent Event(long sequence) =>
        new(sequence, "text_delta", $$"""{"type":"text_delta","text":"x","sequence":{{sequence}}}""", T0);

    /// <summary>The first column of <paramref name="sql"/>'s rows, read by a new connection: what is committed in the file.</summary>
    private async Task<List<string>> ReadColumnAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var values = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            values.Add(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!);
        }

        return values;
    }
}
