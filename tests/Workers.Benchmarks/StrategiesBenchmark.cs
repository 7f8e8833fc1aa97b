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
        foreach (var family in families.Select(f => f.Trim()))
        {
            Console.WriteLine($"- {family}: started, {MachineLoad.Now()}");
            var agent = Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent");
            var profile = new AgentProfile
            {
                Family = family,
                Command = agent,
                Args = family == "claude-stream-json" ? ["claude", .. DirectClaudeAgent.StreamJsonArgs] : ["acp"],
                Env = shape.Environment(),
                Pool = new PoolOptions { MinReady = 2, MaxReady = conversations, MaxProcesses = conversations + 2 },
            };
            figures.Add(await RunStrategiesAsync(family, profile, workload, conversations, TimeSpan.FromMilliseconds(shape.SessionNewMs + 100),
                (_, data) =>
                {
                    var environment = new Dictionary<string, string>(shape.Environment()) { ["SIM_SESSION_DIR"] = Path.Combine(data, "sessions") };
                    return DirectAgent.Start(family, agent, environment, data);
                }));
        }

        PrintTable(figures);
        return figures;
    }

    /// <summary>The same strategies on real CLIs (shipped profiles, installed by <c>.ci/prepare.sh</c>) against the model stub,
    /// which answers after <paramref name="firstTokenMs"/>: what is left above it is the CLI's and the strategy's.</summary>
    public static async Task<List<FamilyFigures>> RunRealAsync(IReadOnlyList<string> profiles, int firstTokenMs, int conversations, int turns)
    {
        await using var stub = await ModelStubServer.StartAsync(new StubOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(firstTokenMs), Tokens = 8, TokenInterval = TimeSpan.FromMilliseconds(10),
        });
        var workload = new ChatWorkload(conversations, turns, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(500));
        Console.WriteLine();
        Console.WriteLine("## Strategies side by side (real CLIs against the model stub)");
        Console.WriteLine();
        Console.WriteLine($"The shipped profiles pointed at the model stub on 127.0.0.1 (first token after {firstTokenMs} ms, 8 tokens 10 ms apart), " +
            "in profile isolation (one trust domain, as the product we replace runs: spawn-per-turn has no process slots for " +
            $"conversation isolation). Workload per strategy: {conversations} conversations × {turns} turns, arrivals " +
            $"{workload.ArrivalSpacing.TotalMilliseconds} ms apart, {workload.ThinkTime.TotalMilliseconds} ms between a reply and the next turn. " +
            "Floor: the CLI started directly with its profile's arguments and environment, one per conversation, its session open. " +
            "Pre-first-token in ms, as above.");
        var figures = new List<FamilyFigures>();
        foreach (var name in profiles.Select(p => p.Trim()))
        {
            var home = Directory.CreateTempSubdirectory("workers-bench-strategies-home-").FullName;
            try
            {
                var profile = RealCliSetup.Load(name);
                RealCliSetup.PointAtStub(name, profile, stub.Url, home);
                profile.Env["HOME"] = home;
                profile.Isolation = IsolationMode.Profile;
                profile.Timeouts = new ProfileTimeouts
                {
                    Ready = TimeSpan.FromSeconds(60), FirstToken = TimeSpan.FromSeconds(60), Turn = TimeSpan.FromSeconds(120),
                    GracefulStop = TimeSpan.FromSeconds(2),
                };
                profile.Pool = new PoolOptions
                {
                    MinReady = Math.Min(2, conversations), MaxReady = conversations, MaxProcesses = conversations + 2, StartTimeout = TimeSpan.FromSeconds(60),
                };
                Console.WriteLine($"- {name} ({profile.Family}, {profile.Command}): started, {MachineLoad.Now()}");
                // The floor's processes resolve the profile under their own data directory (their HOME is the profile's Env HOME).
                figures.Add(await RunStrategiesAsync(name, profile, workload, conversations, TimeSpan.FromSeconds(2), (floorProfile, _) =>
                    DirectAgent.StartLike(floorProfile)));
            }
            catch (ProfileUnavailableException ex)
            {
                Console.WriteLine($"- {name}: not installed ({ex.Message}); run .ci/prepare.sh");
            }
            finally
            {
                ScratchDirectory.DeleteQuietly(home);
            }
        }

        PrintTable(figures);
        return figures;
    }

    private static void PrintTable(List<FamilyFigures> figures)
    {
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
    }

    /// <summary>Every strategy on <paramref name="profile"/>, in turn: the floor (agents from <paramref name="startFloor"/>, given the
    /// profile resolved under the floor's own data directory, and that directory), the pool, a process kept per conversation,
    /// spawn-per-turn. <paramref name="settle"/>: how long a started agent is given before the workload (Claude finishes its
    /// session set-up in the background after answering <c>initialize</c>; a pooled process has had that time too).</summary>
    private static async Task<FamilyFigures> RunStrategiesAsync(string label, AgentProfile profile, ChatWorkload workload, int conversations,
        TimeSpan settle, Func<ResolvedProfile, string, DirectAgent> startFloor)
    {
        var data = Directory.CreateTempSubdirectory("workers-bench-strategies-").FullName;
        var rows = new Dictionary<(string, string), LatencyRow>();
        var failed = new Dictionary<(string, string), int>();
        try
        {
            var floorData = Path.Combine(data, "floor");
            var floorProfile = new ProfileCatalog(new WorkersOptions { DataDirectory = floorData, Profiles = { [Profile] = profile } }).Get(Profile);
            if (!floorProfile.IsAvailable)
            {
                throw new ProfileUnavailableException(floorProfile.UnavailableReason ?? "unavailable");
            }

            var (floor, idleRss) = await RunFloorAsync(() => startFloor(floorProfile, floorData), workload, conversations, floorData, settle);
            Add(rows, "floor", floor);

            var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = Path.Combine(data, "runners"), Profiles = { [Profile] = profile } });
            var launcher = new FamilyLauncher(new AgentDrivers(AgentDrivers.BuiltIn), new AgentLauncher(TimeProvider.System, NullLoggerFactory.Instance),
                TimeProvider.System, NullLoggerFactory.Instance);

            Add(rows, failed, label, "pool", await RunPoolAsync(label, catalog, launcher, profile, settle, workload, Path.Combine(data, "sessions.json")));

            await using (var keptAlive = new KeptAliveRunner(catalog, launcher, TimeProvider.System))
            {
                Add(rows, failed, label, "kept alive per conversation", await workload.RunAsync((conversation, turn, _) =>
                    keptAlive.RunAsync(Request(conversation, turn, resumeSessionId: null), CancellationToken.None)));
            }

            var spawnRunner = new SpawnPerTurnRunner(catalog, launcher, TimeProvider.System);
            Add(rows, failed, label, "spawn-per-turn", await workload.RunAsync((conversation, turn, previous) =>
                spawnRunner.RunAsync(Request(conversation, turn, previous?.SessionId), new NullSink(), CancellationToken.None)));
            return new FamilyFigures(label, rows, failed, idleRss, profile.Pool.MinReady);
        }
        finally
        {
            ScratchDirectory.DeleteQuietly(data);
        }
    }

    /// <summary>One directly driven agent per conversation, all started and their sessions open before the workload, so
    /// every prompt, first or continued, finds the agent as a ready process would be. Returns the waits and the mean
    /// idle RSS of such a process.</summary>
    private static async Task<(IReadOnlyList<(string Turn, double Ms)> Waits, double IdleRssMiB)> RunFloorAsync(Func<DirectAgent> start,
        ChatWorkload workload, int conversations, string data, TimeSpan settle)
    {
        Directory.CreateDirectory(data);
        var agents = new List<DirectAgent>();
        try
        {
            for (var i = 0; i < conversations; i++)
            {
                agents.Add(start());
            }

            using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await Task.WhenAll(agents.Select(a => a.OpenSessionAsync(ready.Token)));
            }

            // Claude opens its session in the background after start-up; a pooled process has had that time too.
            await Task.Delay(settle);
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

    private static async Task<IReadOnlyList<TurnResult>> RunPoolAsync(string label, ProfileCatalog catalog, FamilyLauncher launcher,
        AgentProfile profile, TimeSpan settle, ChatWorkload workload, string sessionsFile)
    {
        await using var pools = new PoolRegistry(catalog, launcher, TimeProvider.System, NullLoggerFactory.Instance);
        using var store = new JsonFileConversationSessionStore(sessionsFile);
        var runner = new PooledTurnRunner(catalog, pools, new SessionRegistry(store, pools), TimeProvider.System);
        pools.StartAll();
        pools.TryGet(Profile, out var pool);
        using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            await pool!.WaitForReadyAsync(profile.Pool.MinReady, warm.Token);
        }

        // Claude finishes its session set-up in the background after answering `initialize`.
        await Task.Delay(settle);
        var results = await workload.RunAsync((conversation, turn, _) =>
            runner.RunAsync(Request(conversation, turn, resumeSessionId: null), new NullSink(), CancellationToken.None));
        var rungs = results.GroupBy(r => $"{r.Turn} {r.Process}/{r.Session}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ×{g.Count()}");
        Console.WriteLine($"  - {label} pool rungs: {string.Join(", ", rungs)}" + (pool.CliVersion is { } version ? $" (CLI {version})" : ""));
        await pools.StopAllAsync(TimeSpan.FromSeconds(5));
        return results;
    }

    /// <summary>A profile whose CLI is not installed.</summary>
    private sealed class ProfileUnavailableException(string reason) : Exception(reason);

    private static TurnRequest Request(string conversation, int turn, string? resumeSessionId) => new()
    {
        Profile = Profile,
        Prompt = ChatWorkload.Prompt(turn),
        ConversationId = conversation,
        ResumeSessionId = resumeSessionId,
        Continued = turn > 0,
    };

    private static void Add(Dictionary<(string, string), LatencyRow> rows, Dictionary<(string, string), int> failed, string label,
        string strategy, IReadOnlyList<TurnResult> results)
    {
        foreach (var failure in results.Where(r => r.Status != TurnStatus.Succeeded).Take(3))
        {
            Console.WriteLine($"  - {label} {strategy}, failed: {failure.Reason}: {failure.Message}");
        }

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
