using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Workers.IntegrationTests.Support;
using Workers.Profiles;

namespace Workers.IntegrationTests.Service;

/// <summary>Resume fidelity through the whole service (<c>specs/pool.md</c>, "Resume fidelity"): what each continued turn's
/// session held of the conversation, in the turn record, in its <c>session</c> event and in
/// <c>workers_turn_fidelity_total</c>, with the simulated agent as a real child process.</summary>
/// <remarks>The service registers its metrics in prometheus-net's process-wide registry: every profile name here is unique
/// to its test case, so the counts are this case's alone.</remarks>
public sealed class ResumeFidelityTests
{
    private static readonly Dictionary<string, string> Quick = new() { ["SIM_STARTUP_MS"] = "30", ["SIM_FIRST_TOKEN_MS"] = "20" };

    [Theory(Timeout = 90_000)]
    [InlineData(SimFamily.Acp)]
    [InlineData(SimFamily.Claude)]
    public async Task ContinuedTurns_AreLiveOnTheBoundProcess_ThenResumedAfterADrain(string family)
    {
        var ct = TestContext.Current.CancellationToken;
        var profile = $"fid-resumes-{family}";
        await using var sim = new SimHarness();
        await using var service = await StartAsync(sim, family, profile, Quick);

        var first = await RunAsync(service, profile, "c1", "remember the blue door", ct);
        var live = await RunAsync(service, profile, "c1", "which door?", ct);
        await DrainAsync(service, profile, ct);
        var resumed = await RunAsync(service, profile, "c1", "which door again?", ct);

        Assert.Equal(("first", "first"), (Str(first.Record, "turn"), Str(first.Record, "fidelity")));
        Assert.Equal(("live", "live"), (Str(live.Record, "session"), Str(live.Record, "fidelity")));
        Assert.Equal(("resumed", "resumed"), (Str(resumed.Record, "session"), Str(resumed.Record, "fidelity")));
        Assert.Equal(["first"], SessionFidelities(first.Events));
        Assert.Equal(["live"], SessionFidelities(live.Events));
        Assert.Equal(["resumed"], SessionFidelities(resumed.Events));
        // The agent's own session carried turn 1 into turn 3: the simulated agent reads the earlier turns from the prompt cache.
        Assert.True(resumed.Record.GetProperty("usage").GetProperty("cacheReadTokens").GetInt64() > 0, resumed.Record.ToString());
        await WaitForCountsAsync(service, profile, new() { ["first"] = 1, ["live"] = 1, ["resumed"] = 1 }, ct);
        Assert.Equal(1.0, Sample(await Scrape(service, ct), "workers_profile_resumes", $"profile=\"{profile}\""));
    }

    [Theory(Timeout = 90_000)]
    [InlineData(SimFamily.Acp)]
    [InlineData(SimFamily.Claude)]
    public async Task StaleResume_WithATranscriptIsTranscript_WithoutOneNone_AndBothAreCounted(string family)
    {
        var ct = TestContext.Current.CancellationToken;
        var profile = $"fid-stale-{family}";
        await using var sim = new SimHarness();
        // The agent answers every resume as if it had never seen the session (its store was wiped).
        var forgetful = new Dictionary<string, string>(Quick) { ["SIM_FAULT"] = "unknown-session" };
        await using var service = await StartAsync(sim, family, profile, forgetful);
        await RunAsync(service, profile, "with", "remember the blue door", ct);
        await RunAsync(service, profile, "without", "remember the red door", ct);
        await DrainAsync(service, profile, ct);

        var withTranscript = await RunAsync(service, profile, "with", "which door?", ct,
            [new { role = "user", text = "remember the blue door" }, new { role = "assistant", text = "ok" }]);
        var withoutTranscript = await RunAsync(service, profile, "without", "which door?", ct);

        foreach (var (turn, fidelity) in new[] { (withTranscript, "transcript"), (withoutTranscript, "none") })
        {
            Assert.True(Str(turn.Record, "fallbackReason") == "stale_session", turn.Record.ToString());
            // A new session: opened for the rerun (ACP) or the one a ready process was launched with (Claude).
            Assert.Contains(Str(turn.Record, "session"), new[] { "new", "prewarmed" });
            Assert.Equal(fidelity, Str(turn.Record, "fidelity"));
            Assert.Contains(turn.Events, e => e.Type == "notice" && e.Data.GetProperty("code").GetString() == "stale_resume");
            // The session the turn ran in is the last one announced (a Claude resume is a launch, announced before it fails).
            Assert.Equal(fidelity, SessionFidelities(turn.Events)[^1]);
        }

        // What the agent was sent: the producer's transcript, or only the new message.
        Assert.StartsWith("Echo: The conversation so far", Str(withTranscript.Record, "text"), StringComparison.Ordinal);
        Assert.StartsWith("Echo: which door?", Str(withoutTranscript.Record, "text"), StringComparison.Ordinal);
        await WaitForCountsAsync(service, profile, new() { ["first"] = 2, ["transcript"] = 1, ["none"] = 1 }, ct);
    }

    [Fact(Timeout = 90_000)]
    public async Task ResumeNone_FeedsTheTranscriptByDesign_AndTheProfileIsNotOneThatResumes()
    {
        var ct = TestContext.Current.CancellationToken;
        const string profile = "fid-resume-none";
        await using var sim = new SimHarness();
        await using var service = await StartAsync(sim, SimFamily.Acp, profile, Quick, ResumeMode.None);
        await RunAsync(service, profile, "c1", "remember the blue door", ct);
        await DrainAsync(service, profile, ct);

        var continued = await RunAsync(service, profile, "c1", "which door?", ct,
            [new { role = "user", text = "remember the blue door" }, new { role = "assistant", text = "ok" }]);

        Assert.Equal(("resume_disabled", "transcript"), (Str(continued.Record, "fallbackReason"), Str(continued.Record, "fidelity")));
        Assert.Equal(["transcript"], SessionFidelities(continued.Events));
        await WaitForCountsAsync(service, profile, new() { ["first"] = 1, ["transcript"] = 1 }, ct);
        Assert.Equal(0.0, Sample(await Scrape(service, ct), "workers_profile_resumes", $"profile=\"{profile}\""));
    }

    private sealed record Turn(JsonElement Record, List<SseReader.Item> Events);

    /// <summary>The service with one simulated profile that keeps a ready process.</summary>
    private static Task<ServiceHarness> StartAsync(SimHarness sim, string family, string profile, Dictionary<string, string> env,
        ResumeMode resume = ResumeMode.Auto)
    {
        sim.AddProfile(family, env, name: profile, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Resume = resume;
        });
        return ServiceHarness.StartAsync(sim);
    }

    private static async Task<Turn> RunAsync(ServiceHarness service, string profile, string conversation, string prompt,
        CancellationToken ct, object[]? transcript = null)
    {
        var accepted = await service.EnqueueAsync(new { conversationId = conversation, profile, prompt, transcript }, ct);
        var id = accepted.GetProperty("id").GetString()!;
        var record = await service.WaitForEndAsync(id, ct);
        Assert.True(Str(record, "status") == "succeeded", record.ToString());
        return new Turn(record, await SseReader.ReadAsync(service.Client, id, ct));
    }

    /// <summary>Retires the pool's processes, the bound one too (the conversation's durable session id stays), and waits for a
    /// ready one: the next turn of the conversation must bring its session back on another process.</summary>
    private static async Task DrainAsync(ServiceHarness service, string profile, CancellationToken ct)
    {
        using (var drain = await service.Client.PostAsync($"/v1/pools/{profile}/drain", null, ct))
        {
            Assert.True(drain.IsSuccessStatusCode, $"drain {profile}: {(int)drain.StatusCode}");
        }

        await service.WaitForReadyProcessesAsync(profile, 1, ct);
    }

    private static string?[] SessionFidelities(List<SseReader.Item> events) =>
        [.. events.Where(e => e.Type == "session").Select(e => e.Data.TryGetProperty("fidelity", out var f) ? f.GetString() : null)];

    private static string? Str(JsonElement turn, string name) =>
        turn.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Task<string> Scrape(ServiceHarness service, CancellationToken ct) => service.Client.GetStringAsync("/metrics", ct);

    /// <summary>The counter is incremented just after the record is stored: wait for the scrape to show every count.</summary>
    private static async Task WaitForCountsAsync(ServiceHarness service, string profile, Dictionary<string, int> expected,
        CancellationToken ct)
    {
        var scrape = "";
        await Poll.UntilAsync(async token =>
        {
            scrape = await Scrape(service, token);
            return expected.All(e => Count(scrape, profile, e.Key) >= e.Value);
        }, $"the fidelity counts of {profile}", cancellationToken: ct);
        foreach (var fidelity in Workers.Families.ResumeFidelity.All)
        {
            Assert.Equal((double)expected.GetValueOrDefault(fidelity), Count(scrape, profile, fidelity) ?? 0);
        }
    }

    private static double? Count(string scrape, string profile, string fidelity) =>
        Sample(scrape, "workers_turn_fidelity_total", $"profile=\"{profile}\",fidelity=\"{fidelity}\"");

    private static double? Sample(string scrape, string metric, string labels)
    {
        var match = Regex.Match(scrape, $"^{Regex.Escape(metric)}\\{{{Regex.Escape(labels)}\\}} (\\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
