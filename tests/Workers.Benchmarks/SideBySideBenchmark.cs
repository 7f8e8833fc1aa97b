using System.Diagnostics;

namespace Workers.Benchmarks;

/// <summary>Issue 15, item 4 in one run: <c>--side-by-side</c> runs the four parts below in order; <c>--strategies</c>,
/// <c>--real-strategies [claude,claude-agent-acp]</c>, <c>--overhead</c> and <c>--throughput</c> run one each. Prints Markdown for <c>specs/performance.md</c>, headed by the
/// commit measured and the machine's load.</summary>
internal static class SideBySideBenchmark
{
    private static readonly string[] AllModes = ["--strategies", "--real-strategies", "--overhead", "--throughput"];

    /// <summary>The parts <paramref name="args"/> ask for, in the order they run; empty when none.</summary>
    public static List<string> Modes(string[] args) =>
        args.Contains("--side-by-side") ? [.. AllModes] : AllModes.Where(args.Contains).ToList();

    public static async Task RunAsync(List<string> modes, Func<string, double, double> argValue, string[] args)
    {
        Console.WriteLine($"# Side by side ({TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, commit {Commit()}, " +
            $"{Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine($"- machine before the run: {MachineLoad.Now()}");
        if (modes.Contains("--strategies"))
        {
            var families = (args.SkipWhile(a => a != "--families").Skip(1).FirstOrDefault() ?? "acp-json-rpc,claude-stream-json").Split(',');
            var figures = await StrategiesBenchmark.RunAsync(families, argValue("--scale", 0.2), (int)argValue("--conversations", 12),
                (int)argValue("--turns", 6));
            Console.WriteLine();
            Console.WriteLine("Idle cost of prewarm against the latency it saves:");
            StrategiesBenchmark.PrintPrewarmCost(figures);
        }

        if (modes.Contains("--real-strategies"))
        {
            var profiles = args.SkipWhile(a => a != "--real-strategies").Skip(1).FirstOrDefault() is { } named && !named.StartsWith("--", StringComparison.Ordinal)
                ? named.Split(',')
                : ["claude", "claude-agent-acp"];
            var figures = await StrategiesBenchmark.RunRealAsync(profiles, (int)argValue("--first-token-ms", 300), (int)argValue("--real-conversations", 6),
                (int)argValue("--real-turns", 4));
            Console.WriteLine();
            Console.WriteLine("Idle cost of prewarm against the latency it saves:");
            StrategiesBenchmark.PrintPrewarmCost(figures);
        }

        if (modes.Contains("--overhead"))
        {
            await ServiceOverheadBenchmark.RunAsync((int)argValue("--overhead-turns", 500), (int)argValue("--first-turns", 200),
                (int)argValue("--overhead-recycle-after", 100));
        }

        if (modes.Contains("--throughput"))
        {
            await ThroughputBenchmark.RunAsync((int)argValue("--throughput-conversations", 200), TimeSpan.FromSeconds(argValue("--warm-up-s", 10)),
                TimeSpan.FromSeconds(argValue("--steady-s", 60)), (int)argValue("--enqueues", 250));
        }

        Console.WriteLine();
        Console.WriteLine($"- machine after the run: {MachineLoad.Now()}");
    }

    /// <summary>The commit measured, short, with a note when the tree has uncommitted changes.</summary>
    public static string Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["rev-parse", "--short=12", "HEAD"])
            {
                RedirectStandardOutput = true,
                WorkingDirectory = AppContext.BaseDirectory,
            })!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            using var dirty = Process.Start(new ProcessStartInfo("git", ["status", "--porcelain", "--untracked-files=no"])
            {
                RedirectStandardOutput = true,
                WorkingDirectory = AppContext.BaseDirectory,
            })!;
            var changes = dirty.StandardOutput.ReadToEnd().Trim();
            dirty.WaitForExit();
            return changes.Length > 0 ? $"{commit} + uncommitted changes" : commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown (no git)";
        }
    }
}
