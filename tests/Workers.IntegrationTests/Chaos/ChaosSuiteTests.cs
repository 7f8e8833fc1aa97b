using System.Diagnostics;
using Workers.Chaos;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Chaos;

/// <summary>The chaos suite of <c>ops/chaos/</c>, seeded and bounded: a real <c>workers serve</c> on a sim profile under
/// producer load, its agents SIGKILLed and SIGSTOPped every 0.3 s at every stage, the service itself SIGKILLed and
/// restarted. It asserts the invariants only; the success rate and the figures go to the test output (the rate depends on
/// how the kills land on a loaded machine, the invariants must not).</summary>
public sealed class ChaosSuiteTests
{
    private static readonly string[] SimProfiles = ["sim-claude", "sim-acp", "sim-codex", "sim-plain"];

    [Theory(Timeout = 180_000)]
    [InlineData("sim-acp", 11)]
    [InlineData("sim-claude", 12)]
    public async Task UnderAgentAndServiceKills_EveryInvariantHolds(string profile, int seed)
    {
        await using var sim = new SimHarness();
        var toolLog = Path.Combine(sim.DataDirectory, "tools.jsonl");
        var serviceLog = Path.Combine(sim.DataDirectory, "service.log");
        var url = new Uri($"http://127.0.0.1:{LoopbackPort.Free()}");
        var output = new StringWriter();
        var options = new ChaosOptions
        {
            Url = url,
            Profile = profile,
            Duration = TimeSpan.FromSeconds(25),
            Conversations = 6,
            TurnsPerConversation = 4,
            ToolShare = 0.3,
            PromptSuffix = "[[sim:tokens=16,token-interval-ms=15]]",
            KillInterval = TimeSpan.FromSeconds(0.3),
            KillsPerRound = 1,
            ServiceKillInterval = TimeSpan.FromSeconds(10),
            Service = new LocalService(() => ServiceStart(sim, profile, url, toolLog), serviceLog),
            ToolLog = toolLog,
            Seed = seed,
            SettleTimeout = TimeSpan.FromSeconds(90),
            Output = output,
        };

        ChaosReport report;
        await using (options.Service)
        {
            report = await ChaosRun.RunAsync(options, TestContext.Current.CancellationToken);
        }

        report.Print(output);
        if (!report.AllHold && File.Exists(serviceLog))
        {
            output.WriteLine("The service's log (warnings and errors), last lines:");
            output.WriteLine(string.Join('\n', File.ReadLines(serviceLog).TakeLast(60)));
        }

        TestContext.Current.TestOutputHelper?.WriteLine(output.ToString());
        Assert.True(report.Turns > 0);
        Assert.All(report.Invariants, i => Assert.True(i.Holds, $"{i.Name}: {i.Detail}\n{output}"));
    }

    /// <summary>The built service on the sim profiles, its agents tagged so the harness finds any left behind, tools allowed
    /// and logged by the simulated agent; only <paramref name="profile"/> keeps a warm pool.</summary>
    private static ProcessStartInfo ServiceStart(SimHarness sim, string profile, Uri url, string toolLog)
    {
        var start = new ProcessStartInfo(ServiceProcess.ExecutablePath, "serve");
        start.Environment["Workers__DataDirectory"] = Path.Combine(sim.DataDirectory, "service");
        start.Environment["Workers__Service__Urls"] = url.ToString().TrimEnd('/');
        start.Environment["Workers__Service__LeaseDuration"] = "00:00:10";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var name in SimProfiles)
        {
            var prefix = $"Workers__Profiles__{name}__";
            start.Environment[prefix + $"Env__{ProcessLeaks.MarkerVariable}"] = sim.Marker;
            start.Environment[prefix + "Env__SIM_TOOL_LOG"] = toolLog;
            start.Environment[prefix + "Permissions__Allow__0"] = "edit";
            start.Environment[prefix + "Permissions__Allow__1"] = "Write";
            start.Environment[prefix + "Pool__MinReady"] = name == profile ? "2" : "0";
        }

        return start;
    }
}
