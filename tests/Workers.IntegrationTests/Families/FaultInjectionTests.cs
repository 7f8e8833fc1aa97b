using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;
using static Workers.Turns.FailureReasons;

namespace Workers.IntegrationTests.Families;

/// <summary>Every fault the simulated agent can inject, on every family, through the spawn-per-turn runner: the
/// turn ends with a named reason (or succeeds, where the fault is noise the driver tolerates), never hangs, and
/// leaves no process behind. Stops have their own test, to be run on their own.</summary>
public sealed class FaultInjectionTests
{
    public static TheoryData<string, string, string?> Faults()
    {
        var data = new TheoryData<string, string, string?>();
        foreach (var family in new[] { Claude, Acp, Codex, Plain })
        {
            var oneShot = family is Codex or Plain;
            data.Add(family, "crash:startup", ProcessExitBeforeOutput);
            data.Add(family, "crash:session-init", ProcessExitBeforeOutput);
            data.Add(family, "crash:before-first-token", ProcessExitBeforeOutput);
            data.Add(family, "crash:mid-stream", family == Codex ? ProcessExitBeforeOutput : ProcessExitMidStream);
            // The first process of a session directory crashes: this harness's only one.
            data.Add(family, "crash-once:mid-stream", family == Codex ? ProcessExitBeforeOutput : ProcessExitMidStream);
            // Readiness is observable before the prompt only in the long-lived families.
            data.Add(family, "hang:startup", oneShot ? FirstTokenTimeout : StartTimeout);
            data.Add(family, "hang:session-init", FirstTokenTimeout);
            data.Add(family, "hang:before-first-token", FirstTokenTimeout);
            data.Add(family, "hang:mid-stream", family == Codex ? FirstTokenTimeout : TurnTimeout);
            data.Add(family, "garbage", null);
            data.Add(family, "half-json", null);
            // Undecodable bytes become U+FFFD and a lone surrogate escape is read as one (specs/security.md, "Hostile agents").
            data.Add(family, "invalid-utf8", null);
            data.Add(family, "oversized:200000", family == Plain ? null : ProtocolError);
            data.Add(family, "stderr-flood:2000000", null);
            // A plain turn ends at the exit, so a CLI that never exits times out; the others end the turn in-band.
            data.Add(family, "ignore-eof,ignore-sigterm", family == Plain ? TurnTimeout : null);
            data.Add(family, "exit:7", family == Plain ? ProcessExitMidStream : null);
            if (family != Plain)
            {
                data.Add(family, "error:auth", Auth);
                data.Add(family, "error:rate-limit", RateLimit);
                data.Add(family, "error:server", ProviderError);
            }
        }

        data.Add(Claude, "api-retry:5", ApiRetriesExhausted);
        return data;
    }

    /// <summary>A SIGSTOP the agent sends itself, before its first token or mid-stream.</summary>
    public static TheoryData<string, string> Stops()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in new[] { Claude, Acp, Codex, Plain })
        {
            data.Add(family, "stop:before-first-token");
            data.Add(family, "stop:mid-stream");
        }

        return data;
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Faults))]
    public Task Fault_EndsTheTurnWithANamedReason(string family, string fault, string? expectedReason) =>
        RunFaultAsync(family, fault, expectedReason, TestContext.Current.CancellationToken);

    /// <summary>The turn's watch kills a stopped agent: the turn ends <c>process_stopped</c> instead of waiting out the
    /// first-token or turn limit (which named it before, and which the test's limits would let it reach).</summary>
    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Stops))]
    public Task Stop_KillsTheAgentAndEndsTheTurnAsProcessStopped(string family, string fault) =>
        RunFaultAsync(family, fault, ProcessStopped, TestContext.Current.CancellationToken);

    private static async Task RunFaultAsync(string family, string fault, string? expectedReason, CancellationToken cancellationToken)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, new Dictionary<string, string> { ["SIM_FAULT"] = fault }, configure: p =>
        {
            p.MaxLineBytes = 64 * 1024;
            p.Timeouts.Ready = TimeSpan.FromSeconds(3);
            p.Timeouts.FirstToken = TimeSpan.FromSeconds(3);
            p.Timeouts.Turn = TimeSpan.FromSeconds(5);
        });
        var events = new EventCollector();

        var result = await sim.RunAsync(family, "hello there", events, cancellationToken: cancellationToken);

        Assert.True(expectedReason == result.Reason,
            $"{family} {fault}: expected {expectedReason ?? "success"}, got {result.Status} {result.Reason}: {result.Message}");
        Assert.Equal(expectedReason is null ? TurnStatus.Succeeded : TurnStatus.Failed, result.Status);
        var terminal = Assert.Single(events.Events, e => e.IsTerminal);
        Assert.Same(terminal, events.Events[^1]);
        if (fault is "garbage" or "half-json" or "invalid-utf8" && family != Plain)
        {
            Assert.Contains(events.OfType<AgentNotice>(), n => n.Code == "unparsable_line");
        }

        if (expectedReason is not null)
        {
            Assert.False(string.IsNullOrWhiteSpace(result.Message));
        }
    }
}
