using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Benchmarks;
using Workers.Families;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Reports;
using Workers.Running;
using Workers.Sessions;
using Workers.Turns;

// Spawn-per-turn against the pool, same workload, same simulated agent, one run. Prints Markdown for specs/pool.md.
// `--store` measures the SQLite store's write path: enqueues/s, claims/s, and the commits they took (specs/store.md).
if (Environment.GetCommandLineArgs().Contains("--store"))
{
    await StoreBenchmark.RunAsync((int)ArgValue("--turns", 20_000));
    return;
}

// `--real claude,claude-agent-acp` runs the same comparison on the real CLIs against the model stub (specs/performance.md).
if (Environment.GetCommandLineArgs().SkipWhile(a => a != "--real").Skip(1).FirstOrDefault() is { } realProfiles)
{
    await RealCliBenchmark.RunAsync(realProfiles.Split(','), (int)ArgValue("--first-token-ms", 300), (int)ArgValue("--conversations", 3),
        (int)ArgValue("--turns", 4));
    return;
}

// `--interleaved claude,claude-agent-acp`: Workers turns and direct floor turns interleaved on real CLIs, the median difference with a
// bootstrap 95 % CI (issue 15's "live turns at the floor", specs/performance.md).
if (Environment.GetCommandLineArgs().SkipWhile(a => a != "--interleaved").Skip(1).FirstOrDefault() is { } interleavedProfiles)
{
    var isolation = Environment.GetCommandLineArgs().SkipWhile(a => a != "--service-isolation").Skip(1).FirstOrDefault() ?? "Profile";
    await InterleavedBenchmark.RunAsync(interleavedProfiles.Split(','), new InterleavedBenchmark.Options((int)ArgValue("--per-arm", 500),
        (int)ArgValue("--session-turns", 50), (int)ArgValue("--first-token-ms", 20), (int)ArgValue("--tokens", 3), (int)ArgValue("--gap-ms", 100),
        (int)ArgValue("--seed", 15), (int)ArgValue("--resamples", 10_000), Enum.Parse<IsolationMode>(isolation, ignoreCase: true)));
    return;
}

// `--isolation sim-acp,claude-agent-acp` measures what conversation isolation costs (specs/isolation.md, specs/performance.md).
if (Environment.GetCommandLineArgs().SkipWhile(a => a != "--isolation").Skip(1).FirstOrDefault() is { } isolatedProfiles)
{
    await IsolationBenchmark.RunAsync(isolatedProfiles.Split(','), (int)ArgValue("--rounds", 10));
    return;
}

// `--side-by-side` (or one of `--strategies`, `--real-strategies`, `--overhead`, `--throughput`): issue 15's strategies and service targets in one run.
if (SideBySideBenchmark.Modes(Environment.GetCommandLineArgs()) is { Count: > 0 } sideBySideModes)
{
    await SideBySideBenchmark.RunAsync(sideBySideModes, ArgValue, Environment.GetCommandLineArgs());
    return;
}

// `--tracing` measures what a turn's trace costs the service, on vs off (specs/tracing.md).
if (Environment.GetCommandLineArgs().Contains("--tracing"))
{
    await TracingBenchmark.RunAsync((int)ArgValue("--turns", 20_000), (int)ArgValue("--rounds", 5));
    return;
}

var scale = ArgValue("--scale", 0.2);
var conversations = (int)ArgValue("--conversations", 4);
var turns = (int)ArgValue("--turns", 4);
var families = (Environment.GetCommandLineArgs().SkipWhile(a => a != "--families").Skip(1).FirstOrDefault() ?? "claude-stream-json,acp-json-rpc")
    .Split(',');
var shape = new LatencyShape(scale);
var workload = new ChatWorkload(conversations, turns, TimeSpan.FromMilliseconds(3000 * scale), TimeSpan.FromMilliseconds(2500 * scale));
var data = Directory.CreateTempSubdirectory("workers-bench-").FullName;

Console.WriteLine($"# Pool vs spawn-per-turn ({TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores)");
Console.WriteLine();
Console.WriteLine($"Simulated agent at scale {scale}: start-up {shape.StartupMs} ms, session init {shape.SessionNewMs} ms, first token " +
    $"{shape.FirstTokenMs} ms + {shape.ContextMsPerKToken} ms per 1k context tokens, per-turn overhead {LatencyShape.TurnOverheadMs} ms. " +
    $"Workload: {conversations} conversations × {turns} turns, arrivals {workload.ArrivalSpacing.TotalMilliseconds} ms apart, " +
    $"{workload.ThinkTime.TotalMilliseconds} ms between a reply and the next turn. Times in ms.");
try
{
    foreach (var family in families)
    {
        await BenchmarkFamilyAsync(family.Trim());
    }
}
finally
{
    Directory.Delete(data, recursive: true);
}

async Task BenchmarkFamilyAsync(string family)
{
    var profile = new AgentProfile
    {
        Family = family,
        Command = Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent"),
        Args = family == "claude-stream-json"
            ? ["claude", "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages"]
            : ["acp"],
        Env = shape.Environment(),
        Pool = new PoolOptions { MinReady = 2, MaxReady = conversations, MaxProcesses = conversations + 2 },
    };
    var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = Path.Combine(data, family), Profiles = { ["bench"] = profile } });
    var drivers = new AgentDrivers(AgentDrivers.BuiltIn);
    var launcher = new FamilyLauncher(drivers, new AgentLauncher(TimeProvider.System, NullLoggerFactory.Instance), TimeProvider.System,
        NullLoggerFactory.Instance);

    var spawnRunner = new SpawnPerTurnRunner(catalog, launcher, TimeProvider.System);
    var spawned = await workload.RunAsync((conversation, turn, previous) => spawnRunner.RunAsync(new TurnRequest
    {
        Profile = "bench",
        Prompt = ChatWorkload.Prompt(turn),
        ConversationId = conversation,
        ResumeSessionId = previous?.SessionId,
        Continued = turn > 0,
    }, new NullSink(), CancellationToken.None));

    await using var pools = new PoolRegistry(catalog, launcher, TimeProvider.System, NullLoggerFactory.Instance);
    using var store = new JsonFileConversationSessionStore(Path.Combine(data, family, "sessions.json"));
    var pooledRunner = new PooledTurnRunner(catalog, pools, new SessionRegistry(store, pools), TimeProvider.System);
    pools.StartAll();
    pools.TryGet("bench", out var pool);
    await pool!.WaitForReadyAsync(profile.Pool.MinReady, CancellationToken.None);
    // Claude finishes its session set-up in the background after answering `initialize`.
    await Task.Delay(shape.SessionNewMs + 100);
    var pooled = await workload.RunAsync((conversation, turn, _) => pooledRunner.RunAsync(new TurnRequest
    {
        Profile = "bench",
        Prompt = ChatWorkload.Prompt(turn),
        ConversationId = conversation,
        Continued = turn > 0,
    }, new NullSink(), CancellationToken.None));
    await pools.StopAllAsync(TimeSpan.FromSeconds(5));

    Report(family, spawned, pooled);
}

void Report(string family, IReadOnlyList<TurnResult> spawned, IReadOnlyList<TurnResult> pooled)
{
    var failed = spawned.Concat(pooled).Count(r => r.Status != TurnStatus.Succeeded);
    Console.WriteLine();
    Console.WriteLine($"## {family}" + (failed > 0 ? $" ({failed} turns failed)" : ""));
    Console.WriteLine();
    Console.WriteLine("| mode | turn | n | spawn_to_first_token p50 / p90 | cli_ready p50 / p90 | session_init p50 / p90 | model_first_token p50 / p90 | remainder p50 / p90 |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    foreach (var (mode, results) in new[] { ("spawn-per-turn", spawned), ("pool", pooled) })
    {
        foreach (var turn in new[] { "first", "continued" })
        {
            var rows = results.Where(r => r.Turn == turn && r.Status == TurnStatus.Succeeded).Select(r => r.Timing).ToList();
            Console.WriteLine($"| {mode} | {turn} | {rows.Count} | {Cell(rows, t => t.SpawnToFirstToken)} | {Cell(rows, t => t.CliReady)} | " +
                $"{Cell(rows, t => t.SessionInit)} | {Cell(rows, t => t.ModelFirstToken)} | {Cell(rows, t => t.Remainder)} |");
        }
    }

    Console.WriteLine();
    foreach (var turn in new[] { "first", "continued" })
    {
        double? P(IReadOnlyList<TurnResult> r, double p) =>
            Percentiles.Of(r.Where(x => x.Turn == turn && x.Status == TurnStatus.Succeeded).Select(x => x.Timing.SpawnToFirstToken!.Value.TotalMilliseconds), p);
        Console.WriteLine($"- {turn} turns, spawn-per-turn ÷ pool: p50 {P(spawned, 50) / P(pooled, 50):0.0}×, p90 {P(spawned, 90) / P(pooled, 90):0.0}×");
    }

    var rungs = pooled.GroupBy(r => $"{r.Process}/{r.Session}").OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
    Console.WriteLine($"- pool rungs: {string.Join(", ", rungs)}");

    // The bound of issue 3: continued turns in a live session wait only for the model (context term included) + 5 ms.
    var excess = pooled.Where(r => r is { Turn: "continued", Session: "live", Status: TurnStatus.Succeeded })
        .Select(r => r.Timing.SpawnToFirstToken!.Value.TotalMilliseconds - shape.ExpectedFirstTokenMs(r.Usage?.CacheReadTokens ?? 0))
        .ToList();
    var continuedP50 = Percentiles.Of(pooled.Where(r => r is { Turn: "continued", Status: TurnStatus.Succeeded })
        .Select(r => r.Timing.SpawnToFirstToken!.Value.TotalMilliseconds - shape.ExpectedFirstTokenMs(r.Usage?.CacheReadTokens ?? 0)), 50);
    Console.WriteLine($"- pool continued turns: spawn_to_first_token − the agent's first-token delay: p50 {continuedP50:0.0} ms " +
        $"(live only: p50 {Percentiles.Of(excess, 50):0.0} ms, p90 {Percentiles.Of(excess, 90):0.0} ms) — bound 5 ms: " +
        (continuedP50 <= 5 ? "met" : "NOT met"));
}

static string Cell(List<TurnTiming> rows, Func<TurnTiming, TimeSpan?> segment)
{
    var values = rows.Select(segment).Where(v => v is not null).Select(v => v!.Value.TotalMilliseconds).ToList();
    return values.Count == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{Percentiles.Of(values, 50):0} / {Percentiles.Of(values, 90):0}");
}

static double ArgValue(string name, double fallback)
{
    var args = Environment.GetCommandLineArgs();
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? double.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

internal sealed class NullSink : ITurnEventSink
{
    public void OnEvent(TurnEvent turnEvent)
    {
    }
}
