using System.Globalization;
using Workers.Chaos;

// The chaos suite against a running instance (ops/chaos/README.md). Exit 0: every invariant held; 1: one broke; 2: usage.
const string Usage = """
    workers-chaos [--url U] [--token T] [--profile P] [--duration S] [--turns N] [--conversations N] [--turns-per-conversation N]
                  [--tool-share F] [--prompt-suffix TEXT] [--kill-every S] [--kills N] [--stop-share F] [--seed N] [--settle S]
                  [--tool-log FILE] [--service-command CMD [--service-kill-every S] [--service-log FILE]]
    """;

var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length || args[i] == "--help")
    {
        Console.Error.WriteLine(args[i] == "--help" ? Usage : $"{args[i]}: expected --name value.\n{Usage}");
        return 2;
    }

    values[args[i][2..]] = args[++i];
}

string? Text(string name, string? environment = null) =>
    values.Remove(name, out var value) ? value : environment is null ? null : Environment.GetEnvironmentVariable(environment);
double Number(string name, double fallback) =>
    values.Remove(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;
TimeSpan Seconds(string name, double fallback) => TimeSpan.FromSeconds(Number(name, fallback));

try
{
    var url = new Uri(Text("url", "WORKERS_URL") ?? "http://127.0.0.1:8080");
    var command = Text("service-command");
    var serviceLog = Text("service-log") ?? Path.Combine(Path.GetTempPath(), "workers-chaos-service.log");
    var options = new ChaosOptions
    {
        Url = url,
        Token = Text("token", "WORKERS_TOKEN"),
        Profile = Text("profile") ?? "sim-acp",
        Duration = Seconds("duration", 60),
        MaxTurns = values.ContainsKey("turns") ? (int)Number("turns", 0) : null,
        Conversations = (int)Number("conversations", 8),
        TurnsPerConversation = (int)Number("turns-per-conversation", 6),
        ToolShare = Number("tool-share", 0.25),
        PromptSuffix = Text("prompt-suffix") ?? string.Empty,
        KillInterval = Seconds("kill-every", 0.3),
        KillsPerRound = (int)Number("kills", 2),
        StopShare = Number("stop-share", 0.3),
        Seed = (int)Number("seed", 1),
        SettleTimeout = Seconds("settle", 180),
        ToolLog = Text("tool-log"),
        Service = command is null ? null : LocalService.FromCommand(command, serviceLog),
        ServiceKillInterval = Seconds("service-kill-every", 0),
        Output = Console.Out,
    };
    if (values.Count > 0)
    {
        Console.Error.WriteLine($"Unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}.\n{Usage}");
        return 2;
    }

    using var interrupt = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        interrupt.Cancel();
    };
    ChaosReport report;
    await using (options.Service)
    {
        report = await ChaosRun.RunAsync(options, interrupt.Token);
    }

    report.Print(Console.Out);
    return report.AllHold ? 0 : 1;
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"{ex.Message}\n{Usage}");
    return 2;
}
