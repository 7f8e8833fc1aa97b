using System.Text.Json;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Observability;

/// <summary>Simulated-agent profiles and a small workload through the HTTP API that together produce every series the dashboard and
/// the Prometheus rules read: first and continued turns (warm/prewarmed, warm/live, cold/new), a provider failure, an engineering
/// failure with retries, a cancelled turn, a stale resume, a lease timeout, and a profile whose processes fail to start.</summary>
/// <remarks>The profile names are unique to this test: the service registers its metrics in prometheus-net's process-wide default
/// registry, so other service tests in the same test process must not share label values with it.</remarks>
internal static class ObservabilityWorkload
{
    public const string Acp = "obs-sim-acp";

    /// <summary>Every 2 seconds: the workload sees several canaries.</summary>
    public const string CanaryCron = "*/2 * * * * ?";

    /// <summary>The service settings that schedule the canary: Quartz's triggers are read from configuration.</summary>
    public static Dictionary<string, string?> CanarySettings => new() { [$"Workers:Profiles:{Acp}:Canary:Cron"] = CanaryCron };
    public const string Claude = "obs-sim-claude";

    /// <summary>ACP whose agent knows no session it is asked to resume: a resume after a drain is stale.</summary>
    public const string Stale = "obs-sim-stale";

    /// <summary>One process at most, which takes longer to start than the test lasts, and a short lease timeout: every turn waits
    /// for the starting process and fails <c>lease_timeout</c>.</summary>
    public const string Starved = "obs-sim-starved";

    /// <summary>Its agent crashes at start-up: every pooled start fails (the crash-loop signal).</summary>
    public const string Broken = "obs-sim-broken";

    public static readonly string[] Profiles = [Acp, Claude, Stale, Starved, Broken];

    public static readonly string[] Families = [SimFamily.Acp, SimFamily.Claude];

    private static Dictionary<string, string> Quick(params (string Key, string Value)[] more)
    {
        var env = new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30", ["SIM_FIRST_TOKEN_MS"] = "20", ["SIM_TOKENS"] = "6" };
        foreach (var (key, value) in more)
        {
            env[key] = value;
        }

        return env;
    }

    public static void AddProfiles(SimHarness sim)
    {
        // A memory limit far above the simulated agent's, so the limit's gauge has a series and nothing is retired for it.
        sim.AddProfile(SimFamily.Acp, Quick(), name: Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxProcessRssMiB) = (1, 4096));
        // And a canary, so its metrics have series; its cron comes from the service's configuration (CanarySettings).
        sim.Profiles[Acp].Canary.Cron = CanaryCron;
        sim.AddProfile(SimFamily.Claude, Quick(), name: Claude, configure: p => p.Pool.MinReady = 0);
        sim.AddProfile(SimFamily.Acp, Quick(("SIM_FAULT", "unknown-session")), name: Stale, configure: p => p.Pool.MinReady = 1);
        sim.AddProfile(SimFamily.Acp, Quick(("SIM_STARTUP_MS", "600000")), name: Starved, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.StartTimeout = TimeSpan.FromMinutes(15);
            p.Pool.MaxReady = 1;
            p.Pool.MaxProcesses = 1;
            p.Pool.LeaseTimeout = TimeSpan.FromMilliseconds(250);
        });
        sim.AddProfile(SimFamily.Acp, Quick(("SIM_FAULT", "crash:startup")), name: Broken, configure: p => p.Pool.MinReady = 1);
    }

    /// <summary>One round of the workload; every part runs concurrently, each in its own conversations (suffixed by
    /// <paramref name="round"/>). Run it twice with scrapes in between so counters rise between samples and rates are non-zero.</summary>
    public static Task RunRoundAsync(ServiceHarness service, int round, CancellationToken cancellationToken) => Task.WhenAll(
        ConversationAsync(service, Acp, $"acp-{round}", ["hello", "again", "once more"], cancellationToken),
        ConversationAsync(service, Claude, $"claude-{round}", ["hello", "again"], cancellationToken),
        ConversationAsync(service, Claude, $"claude-{round}-b", ["hi"], cancellationToken),
        ExpectAsync(service, Acp, $"rate-limited-{round}", "busy [[sim:error:rate-limit]]", "failed", "rate_limit", cancellationToken),
        ExpectAsync(service, Acp, $"crashing-{round}", "boom [[sim:crash:before-first-token]]", "failed", "process_exit_before_output",
            cancellationToken),
        CancelledAsync(service, $"cancelled-{round}", cancellationToken),
        StaleResumeAsync(service, $"stale-{round}", cancellationToken),
        LeaseTimeoutAsync(service, $"starved-{round}", cancellationToken));

    private static async Task<string> EnqueueAsync(ServiceHarness service, string profile, string conversation, string prompt,
        CancellationToken cancellationToken) =>
        (await service.EnqueueAsync(new { conversationId = conversation, profile, prompt }, cancellationToken))
            .GetProperty("id").GetString()!;

    private static string Describe(JsonElement turn) =>
        $"{turn.GetProperty("status").GetString()} {(turn.TryGetProperty("reason", out var r) ? r.GetString() : "")}: {turn}";

    private static async Task ConversationAsync(ServiceHarness service, string profile, string conversation, string[] prompts,
        CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        foreach (var prompt in prompts)
        {
            ids.Add(await EnqueueAsync(service, profile, conversation, prompt, cancellationToken));
        }

        foreach (var id in ids)
        {
            var turn = await service.WaitForEndAsync(id, cancellationToken, TimeSpan.FromSeconds(30));
            Assert.True(turn.GetProperty("status").GetString() == "succeeded", $"{profile} {conversation}: {Describe(turn)}");
        }
    }

    private static async Task ExpectAsync(ServiceHarness service, string profile, string conversation, string prompt, string status,
        string reason, CancellationToken cancellationToken)
    {
        var id = await EnqueueAsync(service, profile, conversation, prompt, cancellationToken);
        var turn = await service.WaitForEndAsync(id, cancellationToken, TimeSpan.FromSeconds(30));
        Assert.True(turn.GetProperty("status").GetString() == status && turn.TryGetProperty("reason", out var r) && r.GetString() == reason,
            $"{profile} {conversation}: expected {status} {reason}, got {Describe(turn)}");
    }

    private static async Task CancelledAsync(ServiceHarness service, string conversation, CancellationToken cancellationToken)
    {
        var id = await EnqueueAsync(service, Acp, conversation, "long [[sim:tokens=300]] [[sim:token-interval-ms=20]]", cancellationToken);
        await SseReader.ReadAsync(service.Client, id, cancellationToken, stopAfter: 3);
        using var cancel = await service.Client.PostAsync($"/v1/turns/{id}/cancel", null, cancellationToken);
        var turn = await service.WaitForEndAsync(id, cancellationToken, TimeSpan.FromSeconds(30));
        Assert.True(turn.GetProperty("status").GetString() == "cancelled", $"{conversation}: {Describe(turn)}");
    }

    /// <summary>A first turn binds a session; a drain retires its process (the durable session id stays); the next turn resumes it on a
    /// fresh process, whose agent does not know it: stale, re-run on a new session.</summary>
    private static async Task StaleResumeAsync(ServiceHarness service, string conversation, CancellationToken cancellationToken)
    {
        var first = await service.WaitForEndAsync(await EnqueueAsync(service, Stale, conversation, "remember me", cancellationToken),
            cancellationToken, TimeSpan.FromSeconds(30));
        Assert.True(first.GetProperty("status").GetString() == "succeeded", $"{conversation}: {Describe(first)}");
        using (var drain = await service.Client.PostAsync($"/v1/pools/{Stale}/drain", null, cancellationToken))
        {
            Assert.True(drain.IsSuccessStatusCode, $"drain {Stale}: {(int)drain.StatusCode}");
        }

        await service.WaitForReadyProcessesAsync(Stale, 1, cancellationToken);
        var second = await service.WaitForEndAsync(await EnqueueAsync(service, Stale, conversation, "do you remember?", cancellationToken),
            cancellationToken, TimeSpan.FromSeconds(30));
        Assert.True(second.GetProperty("status").GetString() == "succeeded"
            && second.TryGetProperty("fallbackReason", out var fallback) && fallback.GetString() == "stale_session",
            $"{conversation}: expected a stale resume, got {Describe(second)}");
    }

    /// <summary>The starved profile's only process is still starting: the turn waits 250 ms for a process and fails
    /// <c>lease_timeout</c>.</summary>
    private static Task LeaseTimeoutAsync(ServiceHarness service, string conversation, CancellationToken cancellationToken) =>
        ExpectAsync(service, Starved, conversation, "anyone there?", "failed", "lease_timeout", cancellationToken);
}
