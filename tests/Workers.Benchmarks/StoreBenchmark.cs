using System.Diagnostics;
using System.Globalization;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.Benchmarks;

/// <summary>The SQLite store's write path at volume (<c>specs/store.md</c>, "Group commit"; issue 15): 16 concurrent callers
/// enqueue, then 16 concurrent workers run the store's side of a turn (claim, one event batch, end) until the queue is empty.
/// Prints calls per second and, for the group commit, the commits those calls took. No agent, no HTTP: the store alone.</summary>
internal static class StoreBenchmark
{
    private const int Callers = 16;
    private const int Conversations = 200;

    public static async Task RunAsync(int turns)
    {
        var directory = Directory.CreateTempSubdirectory("workers-store-bench-").FullName;
        try
        {
            await using var store = new SqliteTurnStore(Path.Combine(directory, "workers.db"));
            await store.InitializeAsync(CancellationToken.None);

            Console.WriteLine($"# Store write path ({TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores)");
            Console.WriteLine();
            Console.WriteLine($"{turns} turns over {Conversations} conversations, {Callers} concurrent callers, SQLite WAL, synchronous=FULL.");
            Console.WriteLine();
            Console.WriteLine("| phase | calls | calls/s | commits | calls per commit |");
            Console.WriteLine("|---|---:|---:|---:|---:|");

            var commits = store.CommitCount;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(() => EnqueueShareAsync(store, caller, turns))));
            Print("enqueue", turns, clock.Elapsed, store.CommitCount - commits);

            commits = store.CommitCount;
            clock.Restart();
            var claims = await Task.WhenAll(Enumerable.Range(0, Callers).Select(worker => Task.Run(() => RunTurnsAsync(store, $"w{worker}"))));
            var claimed = claims.Sum();
            Print("claim + events + end", claimed * 3, clock.Elapsed, store.CommitCount - commits);
            Console.WriteLine();
            Console.WriteLine($"Turns through claim, events and end: {claimed / clock.Elapsed.TotalSeconds:F0}/s (claims/s).");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Caller <paramref name="caller"/> enqueues every <see cref="Callers"/>-th turn, one call after the other, as one HTTP
    /// producer does.</summary>
    private static async Task EnqueueShareAsync(SqliteTurnStore store, int caller, int turns)
    {
        for (var i = caller; i < turns; i += Callers)
        {
            var payload = $$"""{"prompt":"turn {{i}}"}""";
            var turn = new NewTurn($"t{i}", $"c{i % Conversations}", "default", payload, payload.GetHashCode(StringComparison.Ordinal)
                .ToString(CultureInfo.InvariantCulture), TimeProvider.System.GetUtcNow()) { QueueLimit = turns };
            await store.EnqueueAsync(turn, CancellationToken.None);
        }
    }

    /// <summary>Claims, writes one batch of two events, and ends each turn, until nothing is left to claim; returns the turns run.
    /// A worker that finds nothing while others still run turns tries again, since their ends unblock later turns.</summary>
    private static async Task<int> RunTurnsAsync(SqliteTurnStore store, string owner)
    {
        var ran = 0;
        var request = new ClaimRequest(owner, TimeSpan.FromMinutes(5), null, [], 3);
        while (true)
        {
            var now = TimeProvider.System.GetUtcNow();
            if (await store.ClaimAsync(request, now, CancellationToken.None) is not { } claimed)
            {
                var stats = await store.GetQueueStatsAsync(CancellationToken.None);
                if (stats.Queued == 0)
                {
                    return ran;
                }

                await Task.Yield();
                continue;
            }

            var first = claimed.Turn.LastEventSequence + 1;
            await store.AppendEventsAsync(claimed.Lease,
                [new StoredEvent(first, "text_delta", """{"type":"text_delta","text":"a"}""", now),
                 new StoredEvent(first + 1, "text_delta", """{"type":"text_delta","text":"b"}""", now)], CancellationToken.None);
            var end = new StoredEvent(first + 2, "completed", """{"type":"completed"}""", now);
            await store.CompleteAsync(claimed.Lease, new TurnCompletion(TurnState.Succeeded, null, """{"status":"completed"}""", end),
                new RunRecord(claimed.Turn.Id, claimed.Turn.Attempts, owner, now, now, "succeeded", "{}"), now, CancellationToken.None);
            ran++;
        }
    }

    private static void Print(string phase, int calls, TimeSpan elapsed, long commits) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {phase} | {calls} | {calls / elapsed.TotalSeconds:F0} | {commits} | {(commits == 0 ? 0 : (double)calls / commits):F1} |"));
}
