using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Families;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Running;
using Workers.Sessions;
using Workers.Turns;

namespace Workers.Benchmarks;

/// <summary>Issue 15, item 4: the same chat workload through every way of running an agent, in one run, on the simulated
/// agent with the production latency shape — spawn-per-turn (the product we replace), one process kept per conversation
/// (an SDK streaming client), Workers' pool, and the floor (the agent already running with its session open, prompted
/// directly). Prints pre-first-token p50 / p90 / p99 per strategy and turn kind, and what each adds over the floor.</summary>
internal static class StrategiesBenchmark
{
    private const string Profile = "bench";

    /// <summary>What one family's run measured, for the prewarm line of the report.</summary>
    public sealed record FamilyFigures(string Family, Dictionary<(string Strategy, string Turn), LatencyRow> Rows,
        Dictionary<(string Strategy, string Turn), int> Failed, double IdleAgentRssMiB, int MinReady);

    private sealed record FloorWait(string Turn, double Ms);

    public static async Task<List<FamilyFigures>> RunAsync(IReadOnlyList<string> families, double scale, int conversations, int turns)
    {
        var shape = new LatencyShape(scale);
        var workload = new ChatWorkload(conversations, turns, TimeSpan.FromMilliseconds(3000 * scale), TimeSpan.FromMilliseconds(2500 * scale));
        Console.WriteLine();
        Console.WriteLine("## Strategies side by side (simulated agent)");
        Console.WriteLine();
        Console.WriteLine($"Simulated agent at scale {scale} of the production shape: start-up {shape.StartupMs} ms, session init " +
            $"{shape.SessionNewMs} ms, first token {shape.FirstTokenMs} ms + {shape.ContextMsPerKToken} ms per 1k context tokens, per-turn " +
            $"overhead {LatencyShape.TurnOverheadMs} ms, 40 tokens 2 ms apart. Workload per strategy: {conversations} conversations × {turns} " +
            $"turns, arrivals {workload.ArrivalSpacing.TotalMilliseconds} ms apart, {workload.ThinkTime.TotalMilliseconds} ms between a reply " +
            "and the next turn. Pre-first-token in ms: `spawn_to_first_token` (turn start → first text) for the runners; prompt written → " +
            "first text delta for the floor. Over floor = the strategy's percentile minus the floor's, same family and turn kind.");
        var figures = new List<FamilyFigures>();
        foreach (var family in families)
        {
            Console.WriteLine($"- {family}: started, {MachineLoad.Now()}");
            figures.Add(await RunFamilyAsync(family.Trim(), shape, workload, conversations));
        }

        Console.WriteLine();
        Console.WriteLine("| family | strategy | turn | n | pre-first-token p50 / p90 / p99 | over floor p50 / p90 / p99 | failed |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var family in figures)
        {
            foreach (var ((strategy, turn), row) in family.Rows)
            {
                var floor = family.Rows[("floor", turn)];
                var failed = family.Failed.GetValueOrDefault((strategy, turn));
                Console.WriteLine($"| {family.Family} | {strategy} | {turn} | {row.Count} | {row.Cell()} | " +
                    $"{(strategy == "floor" ? "—" : row.OverCell(floor))} | {failed} |");
            }
        }

        return figures;
    }

    private static async Task<FamilyFigures> RunFamilyAsync(string family, LatencyShape shape, ChatWorkload workload, int conversations)
    {
        var data = Directory.CreateTempSubdirectory("workers-bench-strategies-").FullName;
        var rows = new Dictionary<(string, string), LatencyRow>();
        var failed = new Dictionary<(string, string), int>();
        try
        {
            var agent = Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent");
            var (floor, idleRss) = await RunFloorAsync(family, agent, shape, workload, conversations, Path.Combine(data, "floor"));
            Add(rows, "floor", floor);

            var profile = new AgentProfile
            {
                Family = family,
                Command = agent,
                Args = family == "claude-stream-json"
                    ? ["claude", "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages"]
                    : ["acp"],
                Env = shape.Environment(),
                Pool = new PoolOptions { MinReady = 2, MaxReady = conversations, MaxProcesses = conversations + 2 },
            };
            var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = Path.Combine(data, "runners"), Profiles = { [Profile] = profile } });
            var launcher = new FamilyLauncher(new AgentDrivers(AgentDrivers.BuiltIn), new AgentLauncher(TimeProvider.System, NullLoggerFactory.Instance),
                TimeProvider.System, NullLoggerFactory.Instance);

            Add(rows, failed, "pool", await RunPoolAsync(catalog, launcher, profile, shape, workload, Path.Combine(data, "sessions.json")));

            await using (var keptAlive = new KeptAliveRunner(catalog, launcher, TimeProvider.System))
            {
                Add(rows, failed, "kept alive per conversation", await workload.RunAsync((conversation, turn, _) =>
                    keptAlive.RunAsync(Request(conversation, turn, resumeSessionId: null), CancellationToken.None)));
            }

            var spawnRunner = new SpawnPerTurnRunner(catalog, launcher, TimeProvider.System);
            Add(rows, failed, "spawn-per-turn", await workload.RunAsync((conversation, turn, previous) =>
                spawnRunner.RunAsync(Request(conversation, turn, previous?.SessionId), new NullSink(), CancellationToken.None)));
            return new FamilyFigures(family, rows, failed, idleRss, profile.Pool.MinReady);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>One directly driven agent per conversation, all started and their sessions open before the workload, so
    /// every prompt, first or continued, finds the agent as a ready process would be. Returns the waits and the mean
    /// idle RSS of such a process.</summary>
    private static async Task<(IReadOnlyList<(string Turn, double Ms)> Waits, double IdleRssMiB)> RunFloorAsync(string family, string agent,
        LatencyShape shape, ChatWorkload workload, int conversations, string data)
    {
        var environment = new Dictionary<string, string>(shape.Environment()) { ["SIM_SESSION_DIR"] = Path.Combine(data, "sessions") };
        Directory.CreateDirectory(data);
        var agents = new List<DirectAgent>();
        try
        {
            for (var i = 0; i < conversations; i++)
            {
                agents.Add(DirectAgent.Start(family, agent, environment, data));
            }

            using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await Task.WhenAll(agents.Select(a => a.OpenSessionAsync(ready.Token)));
            }

            // Claude opens its session in the background after start-up; a pooled process has had that time too.
            await Task.Delay(shape.SessionNewMs + 100);
            var idleRss = agents.Average(a => Workers.Processes.ProcessMemory.ResidentBytesOfTree(a.ProcessId)) / (1024.0 * 1024.0);
            var free = new Queue<DirectAgent>(agents);
            var assigned = new Dictionary<string, DirectAgent>();
            var waits = await workload.RunAsync<FloorWait>(async (conversation, turn, _) =>
            {
                DirectAgent direct;
                lock (assigned)
                {
                    if (!assigned.TryGetValue(conversation, out direct!))
                    {
                        direct = assigned[conversation] = free.Dequeue();
                    }
                }

                return new FloorWait(turn == 0 ? "first" : "continued", await direct.PromptAsync(ChatWorkload.Prompt(turn), CancellationToken.None));
            });
            return (waits.Select(w => (w.Turn, w.Ms)).ToList(), idleRss);
        }
        finally
        {
            foreach (var direct in agents)
            {
                await direct.DisposeAsync();
            }
        }
    }

    private static async Task<IReadOnlyList<TurnResult>> RunPoolAsync(ProfileCatalog catalog, FamilyLauncher launcher, AgentProfile profile,
        LatencyShape shape, ChatWorkload workload, string sessionsFile)
    {
        await using var pools = new PoolRegistry(catalog, launcher, TimeProvider.System, NullLoggerFactory.Instance);
        using var store = new JsonFileConversationSessionStore(sessionsFile);
        var runner = new PooledTurnRunner(catalog, pools, new SessionRegistry(store, pools), TimeProvider.System);
        pools.StartAll();
        pools.TryGet(Profile, out var pool);
        await pool!.WaitForReadyAsync(profile.Pool.MinReady, CancellationToken.None);
        // Claude finishes its session set-up in the background after answering `initialize`.
        await Task.Delay(shape.SessionNewMs + 100);
        var results = await workload.RunAsync((conversation, turn, _) =>
            runner.RunAsync(Request(conversation, turn, resumeSessionId: null), new NullSink(), CancellationToken.None));
        var rungs = results.GroupBy(r => $"{r.Turn} {r.Process}/{r.Session}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ×{g.Count()}");
        Console.WriteLine($"  - {profile.Family} pool rungs: {string.Join(", ", rungs)}");
        await pools.StopAllAsync(TimeSpan.FromSeconds(5));
        return results;
    }

    private static TurnRequest Request(string conversation, int turn, string? resumeSessionId) => new()
    {
        Profile = Profile,
        Prompt = ChatWorkload.Prompt(turn),
        ConversationId = conversation,
        ResumeSessionId = resumeSessionId,
        Continued = turn > 0,
    };

    private static void Add(Dictionary<(string, string), LatencyRow> rows, Dictionary<(string, string), int> failed, string strategy,
        IReadOnlyList<TurnResult> results)
    {
        Add(rows, strategy, results.Where(r => r.Status == TurnStatus.Succeeded)
            .Select(r => (r.Turn, r.Timing.SpawnToFirstToken!.Value.TotalMilliseconds)).ToList());
        foreach (var turn in new[] { "first", "continued" })
        {
            failed[(strategy, turn)] = results.Count(r => r.Turn == turn && r.Status != TurnStatus.Succeeded);
        }
    }

    private static void Add(Dictionary<(string, string), LatencyRow> rows, string strategy, IReadOnlyList<(string Turn, double Ms)> waits)
    {
        foreach (var turn in new[] { "first", "continued" })
        {
            rows[(strategy, turn)] = new LatencyRow(waits.Where(w => w.Turn == turn).Select(w => w.Ms).ToList());
        }
    }

    /// <summary>The idle cost of prewarm against what it saves: the pool's ready processes × an idle agent's RSS, against
    /// the first-turn wait the pool removes compared with starting a process per conversation.</summary>
    public static void PrintPrewarmCost(IEnumerable<FamilyFigures> figures)
    {
        foreach (var family in figures)
        {
            var saved = family.Rows[("kept alive per conversation", "first")].P(50) - family.Rows[("pool", "first")].P(50);
            var savedSpawn = family.Rows[("spawn-per-turn", "first")].P(50) - family.Rows[("pool", "first")].P(50);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- {family.Family}: {family.MinReady} ready processes × {family.IdleAgentRssMiB:0.0} MiB idle RSS = " +
                $"{family.MinReady * family.IdleAgentRssMiB:0} MiB held while idle; a first turn waits {LatencyRow.Format(saved)} ms less (p50) " +
                $"than with a process started per conversation, {LatencyRow.Format(savedSpawn)} ms less than spawn-per-turn."));
        }
    }
}
