using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Families;
using Workers.Isolation;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Reports;
using Workers.Running;
using Workers.Sessions;
using Workers.Turns;

namespace Workers.Benchmarks;

/// <summary><c>--isolation sim-acp,claude-agent-acp</c>: what conversation isolation costs (<c>specs/performance.md</c>, "Conversation
/// isolation"). The hand-over itself (renaming a conversation's files into a slot) timed alone on HOMEs of two sizes; then, per
/// profile, the same workload in <c>Profile</c> and <c>Conversation</c> isolation: process warm-up (spawn to ready: bwrap's
/// start is in it) and a continued turn after its process was let go (resumed on another process: the hand-over is in it).</summary>
internal static class IsolationBenchmark
{
    public static async Task RunAsync(IReadOnlyList<string> profiles, int rounds)
    {
        Console.WriteLine($"# Conversation isolation ({TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores)");
        Console.WriteLine();
        MeasureHandOver();
        await using var stub = await ModelStub.ModelStubServer.StartAsync(new ModelStub.StubOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(300), Tokens = 8, TokenInterval = TimeSpan.FromMilliseconds(10),
        });
        Console.WriteLine();
        Console.WriteLine($"Continued turns after the conversation's process was let go ({rounds} conversations per row; real CLIs against the " +
            "model stub on 127.0.0.1, first token after 300 ms; the simulated agent at its shipped latencies). Times in ms, p50 / p90.");
        Console.WriteLine();
        Console.WriteLine("| profile | isolation | warm-up (spawn → ready) | resumed turn rung | session_init | spawn_to_first_token | failed |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var name in profiles)
        {
            foreach (var isolation in new[] { IsolationMode.Profile, IsolationMode.Conversation })
            {
                await MeasureResumeAsync(name.Trim(), isolation, stub.Url, rounds);
            }
        }
    }

    /// <summary>BringIn (on the turn's path) and TakeOut (after the process exited, off it) on real directories.</summary>
    private static void MeasureHandOver()
    {
        Console.WriteLine("Hand-over alone (`ConversationHandOver`, 200 conversations per row): bring in = the conversation's HOME and " +
            "workspace renamed into a process's slot (on the turn's path); take out = renamed back at rest and the slot deleted (after " +
            "the process exited). Times in ms, p50 / p99.");
        Console.WriteLine();
        Console.WriteLine("| HOME | bring in | take out |");
        Console.WriteLine("|---|---|---|");
        foreach (var (label, files, bytes) in new[] { ("3 files, 12 KB", 3, 4096), ("550 files, 10 MB", 550, 19_000) })
        {
            var data = Directory.CreateTempSubdirectory("workers-bench-handover-").FullName;
            try
            {
                var profile = new ResolvedProfile
                {
                    Name = "bench", Options = new AgentProfile { Isolation = IsolationMode.Conversation }, Family = "acp-json-rpc",
                    HomeDirectory = Directory.CreateDirectory(Path.Combine(data, "home", "bench")).FullName,
                    DefaultWorkingDirectory = Directory.CreateDirectory(Path.Combine(data, "workspaces", "bench")).FullName,
                    Environment = new Dictionary<string, string>(), Digest = "bench", DataDirectory = data,
                };
                var handOver = new ConversationHandOver(new ConversationFiles(data, profile), NullLogger.Instance);
                handOver.Recover();
                var bringIn = new List<double>();
                var takeOut = new List<double>();
                for (var i = 0; i < 200; i++)
                {
                    // The conversation's files at rest, as a previous process left them.
                    var conversation = $"conversation-{i}";
                    var first = handOver.CreateSlot();
                    handOver.BringIn(first, conversation);
                    for (var f = 0; f < files; f++)
                    {
                        File.WriteAllBytes(Path.Combine(first.Home, $"f{f}"), new byte[bytes]);
                    }

                    handOver.TakeOut(first);
                    var slot = handOver.CreateSlot();
                    var started = Stopwatch.GetTimestamp();
                    handOver.BringIn(slot, conversation);
                    bringIn.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    started = Stopwatch.GetTimestamp();
                    handOver.TakeOut(slot);
                    takeOut.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }

                Console.WriteLine($"| {label} | {P(bringIn, 50)} / {P(bringIn, 99)} | {P(takeOut, 50)} / {P(takeOut, 99)} |");
            }
            finally
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static async Task MeasureResumeAsync(string name, IsolationMode isolation, string stubUrl, int rounds)
    {
        var data = Directory.CreateTempSubdirectory("workers-bench-isolation-").FullName;
        try
        {
            var profile = RealCliSetup.Load(name);
            if (!name.StartsWith("sim-", StringComparison.Ordinal))
            {
                RealCliSetup.PointAtStub(name, profile, stubUrl, Path.Combine(data, "home", name));
            }
            else
            {
                profile.Command = Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent");
            }

            profile.Isolation = isolation;
            profile.Timeouts = new ProfileTimeouts
            {
                Ready = TimeSpan.FromSeconds(60), FirstToken = TimeSpan.FromSeconds(60), Turn = TimeSpan.FromSeconds(120),
                GracefulStop = TimeSpan.FromSeconds(2),
            };
            profile.Pool = new PoolOptions { MinReady = 1, MaxReady = 2, MaxProcesses = 4, StartTimeout = TimeSpan.FromSeconds(60) };
            var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = data, Profiles = { [name] = profile } });
            if (!catalog.Get(name).IsAvailable)
            {
                Console.WriteLine($"| {name} | {isolation} | not available: {catalog.Get(name).UnavailableReason} | | | | |");
                return;
            }

            var launcher = new FamilyLauncher(new AgentDrivers(AgentDrivers.BuiltIn), new AgentLauncher(TimeProvider.System, NullLoggerFactory.Instance),
                TimeProvider.System, NullLoggerFactory.Instance);
            await using var pools = new PoolRegistry(catalog, launcher, TimeProvider.System, NullLoggerFactory.Instance);
            using var store = new JsonFileConversationSessionStore(Path.Combine(data, "sessions.json"));
            var runner = new PooledTurnRunner(catalog, pools, new SessionRegistry(store, pools), TimeProvider.System);
            pools.TryGet(name, out var pool);
            var warmups = new List<double>();
            pool!.ProcessStartCompleted += (warmup, outcome) =>
            {
                lock (warmups)
                {
                    warmups.Add(warmup.TotalMilliseconds);
                }
            };
            pools.StartAll();
            var resumed = new List<TurnResult>();
            var failed = 0;
            for (var round = 0; round < rounds; round++)
            {
                var conversation = $"conversation-{round}";
                await WaitReadyAsync(pool);
                var first = await runner.RunAsync(Request(name, conversation, "Remember the word amber."), new NullSink(), CancellationToken.None);
                pools.ForgetConversation(conversation);
                await WaitReadyAsync(pool);
                var second = await runner.RunAsync(Request(name, conversation, "Which word?") with { Continued = true }, new NullSink(),
                    CancellationToken.None);
                // Bound processes count against MaxProcesses: let this one go so that the pool refills a ready one.
                pools.ForgetConversation(conversation);
                failed += first.Status == TurnStatus.Succeeded && second.Status == TurnStatus.Succeeded ? 0 : 1;
                if (second.Status == TurnStatus.Succeeded)
                {
                    resumed.Add(second);
                }
            }

            await pools.StopAllAsync(TimeSpan.FromSeconds(5));
            var rungs = string.Join(", ", resumed.GroupBy(r => $"{r.Process}/{r.Session}").Select(g => $"{g.Key} ×{g.Count()}"));
            var init = resumed.Select(r => (r.Timing.SessionInit ?? TimeSpan.Zero).TotalMilliseconds).ToList();
            var total = resumed.Select(r => (r.Timing.SpawnToFirstToken ?? TimeSpan.Zero).TotalMilliseconds).ToList();
            List<double> warm;
            lock (warmups)
            {
                warm = [.. warmups];
            }

            Console.WriteLine($"| {name} | {isolation} | {P(warm, 50)} / {P(warm, 90)} (n={warm.Count}) | {rungs} | {P(init, 50)} / {P(init, 90)} | " +
                $"{P(total, 50)} / {P(total, 90)} | {failed} |");
        }
        finally
        {
            ScratchDirectory.DeleteQuietly(data);
        }
    }

    private static async Task WaitReadyAsync(AgentPool pool)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await pool.WaitForReadyAsync(1, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            var counters = pool.Counters.Read();
            throw new InvalidOperationException($"Pool {pool.Name} held no ready process after 20 s: {counters.Spawned} spawned, " +
                $"{counters.StartFailures} failed starts, retired {string.Join(", ", counters.RetiredByReason)}; {pool.Availability()}");
        }
    }

    private static TurnRequest Request(string profile, string conversation, string prompt) =>
        new() { Profile = profile, Prompt = prompt, ConversationId = conversation };

    private static string P(IReadOnlyCollection<double> values, double percentile) =>
        Percentiles.Of(values, percentile) is { } value ? value.ToString(value < 10 ? "0.00" : "0", CultureInfo.InvariantCulture) : "–";
}
