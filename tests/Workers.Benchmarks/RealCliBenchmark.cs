using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Families;
using Workers.ModelStub;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Running;
using Workers.Sessions;
using Workers.Turns;
using Workers.Reports;

namespace Workers.Benchmarks;

/// <summary>Spawn-per-turn against the pool on real agent CLIs (the shipped profiles, installed by <c>.ci/prepare.sh</c>)
/// talking to the model stub, whose first-token delay is known: what is left above it is the CLI's and ours.
/// Prints Markdown for <c>specs/performance.md</c>.</summary>
internal static class RealCliBenchmark
{
    public static async Task RunAsync(IReadOnlyList<string> profiles, int firstTokenMs, int conversations, int turns)
    {
        await using var stub = await ModelStubServer.StartAsync(new StubOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(firstTokenMs),
            Tokens = 8,
            TokenInterval = TimeSpan.FromMilliseconds(10),
        });
        var workload = new ChatWorkload(conversations, turns, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(500));
        Console.WriteLine($"# Real CLIs: pool vs spawn-per-turn ({TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine($"Model stub on 127.0.0.1: first token after {firstTokenMs} ms, 8 tokens 10 ms apart. Workload: {conversations} " +
            $"conversations × {turns} turns, arrivals {workload.ArrivalSpacing.TotalMilliseconds} ms apart, " +
            $"{workload.ThinkTime.TotalMilliseconds} ms between a reply and the next turn. Times in ms.");
        foreach (var name in profiles)
        {
            await BenchmarkAsync(name.Trim(), stub, workload, conversations);
        }
    }

    private static async Task BenchmarkAsync(string name, ModelStubServer stub, ChatWorkload workload, int conversations)
    {
        var data = Directory.CreateTempSubdirectory("workers-bench-real-").FullName;
        try
        {
            var profile = RealCliSetup.Load(name);
            RealCliSetup.PointAtStub(name, profile, stub.Url, Path.Combine(data, "home", name));
            profile.Timeouts = new ProfileTimeouts
            {
                Ready = TimeSpan.FromSeconds(60), FirstToken = TimeSpan.FromSeconds(60), Turn = TimeSpan.FromSeconds(120),
                GracefulStop = TimeSpan.FromSeconds(2),
            };
            profile.Pool = new PoolOptions
            {
                MinReady = 2, MaxReady = conversations, MaxProcesses = conversations + 2, StartTimeout = TimeSpan.FromSeconds(60),
            };
            // Both modes in one trust domain, as the product we replace runs: the spawn-per-turn runner has no process slots
            // for conversation isolation, and isolation's own cost is measured apart (--isolation, specs/performance.md).
            profile.Isolation = IsolationMode.Profile;
            var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = data, Profiles = { [name] = profile } });
            var resolved = catalog.Get(name);
            if (!resolved.IsAvailable)
            {
                Console.WriteLine();
                Console.WriteLine($"## {name}: not installed ({resolved.UnavailableReason}); run .ci/prepare.sh");
                return;
            }

            var drivers = new AgentDrivers(AgentDrivers.BuiltIn);
            var launcher = new FamilyLauncher(drivers, new AgentLauncher(TimeProvider.System, NullLoggerFactory.Instance), TimeProvider.System,
        NullLoggerFactory.Instance);
            var spawnRunner = new SpawnPerTurnRunner(catalog, launcher, TimeProvider.System);
            var spawned = await workload.RunAsync((conversation, turn, previous) => spawnRunner.RunAsync(Request(name, conversation, turn, previous, true),
                new NullSink(), CancellationToken.None));

            await using var pools = new PoolRegistry(catalog, launcher, TimeProvider.System, NullLoggerFactory.Instance);
            using var store = new JsonFileConversationSessionStore(Path.Combine(data, "sessions.json"));
            var pooledRunner = new PooledTurnRunner(catalog, pools, new SessionRegistry(store, pools), TimeProvider.System);
            pools.StartAll();
            pools.TryGet(name, out var pool);
            using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            {
                await pool!.WaitForReadyAsync(profile.Pool.MinReady, warm.Token);
            }

            // Claude finishes its session set-up in the background after answering `initialize`.
            await Task.Delay(1000);
            var pooled = await workload.RunAsync((conversation, turn, previous) => pooledRunner.RunAsync(Request(name, conversation, turn, previous, false),
                new NullSink(), CancellationToken.None));
            var version = pool.CliVersion ?? RealCliSetup.Version(profile.Command);
            await pools.StopAllAsync(TimeSpan.FromSeconds(5));
            Report(name, profile, version, spawned, pooled);
        }
        finally
        {
            ScratchDirectory.DeleteQuietly(data);
        }
    }

    private static TurnRequest Request(string profile, string conversation, int turn, TurnResult? previous, bool spawnPerTurn) => new()
    {
        Profile = profile,
        Prompt = ChatWorkload.Prompt(turn),
        ConversationId = conversation,
        // The baseline resumes the previous turn's session by id, as the product it replaces does; the pool finds it itself.
        ResumeSessionId = spawnPerTurn ? previous?.SessionId : null,
        Transcript = previous is null ? null : [new TranscriptMessage("user", ChatWorkload.Prompt(turn - 1)), new TranscriptMessage("assistant", previous.Text)],
        Continued = turn > 0,
    };

    private static void Report(string name, AgentProfile profile, string version, IReadOnlyList<TurnResult> spawned, IReadOnlyList<TurnResult> pooled)
    {
        var failed = spawned.Concat(pooled).Where(r => r.Status != TurnStatus.Succeeded).ToList();
        Console.WriteLine();
        Console.WriteLine($"## {name} ({profile.Family}, {profile.Command} {version})" + (failed.Count > 0 ? $" — {failed.Count} turns failed" : ""));
        foreach (var failure in failed.Take(3))
        {
            Console.WriteLine($"- failed: {failure.Reason}: {failure.Message}");
        }

        Console.WriteLine();
        Console.WriteLine("| mode | turn | rung (process/session) | n | spawn_to_first_token p50 / p90 | cli_ready | session_init | model_first_token | remainder |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (mode, results) in new[] { ("spawn-per-turn", spawned), ("pool", pooled) })
        {
            foreach (var group in results.Where(r => r.Status == TurnStatus.Succeeded).GroupBy(r => (r.Turn, Rung: $"{r.Process}/{r.Session}"))
                .OrderBy(g => g.Key.Turn == "first" ? 0 : 1).ThenBy(g => g.Key.Rung, StringComparer.Ordinal))
            {
                var rows = group.Select(r => r.Timing).ToList();
                Console.WriteLine($"| {mode} | {group.Key.Turn} | {group.Key.Rung} | {rows.Count} | {Cell(rows, t => t.SpawnToFirstToken)} | " +
                    $"{Cell(rows, t => t.CliReady)} | {Cell(rows, t => t.SessionInit)} | {Cell(rows, t => t.ModelFirstToken)} | {Cell(rows, t => t.Remainder)} |");
            }
        }

        double? P(IEnumerable<TurnResult> rows, double p) =>
            Percentiles.Of(rows.Where(r => r.Status == TurnStatus.Succeeded).Select(r => r.Timing.SpawnToFirstToken!.Value.TotalMilliseconds), p);
        var cold = spawned.Where(r => r.Turn == "first").ToList();
        var warm = pooled.Where(r => r is { Turn: "first", Process: "warm" }).ToList();
        var live = pooled.Where(r => r is { Turn: "continued", Session: "live" }).ToList();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- pre-first-token (spawn_to_first_token) p50 / p90: cold {P(cold, 50):0} / {P(cold, 90):0}, warm {P(warm, 50):0} / {P(warm, 90):0}, " +
            $"live {P(live, 50):0} / {P(live, 90):0}; spawn-per-turn continued {P(spawned.Where(r => r.Turn == "continued"), 50):0} / " +
            $"{P(spawned.Where(r => r.Turn == "continued"), 90):0}"));
    }

    private static string Cell(List<TurnTiming> rows, Func<TurnTiming, TimeSpan?> segment)
    {
        var values = rows.Select(segment).Where(v => v is not null).Select(v => v!.Value.TotalMilliseconds).ToList();
        return values.Count == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{Percentiles.Of(values, 50):0} / {Percentiles.Of(values, 90):0}");
    }
}
