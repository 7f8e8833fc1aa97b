using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;
using static Workers.Turns.FailureReasons;

namespace Workers.IntegrationTests.Families;

/// <summary>Every fault the simulated agent can inject, on every family, through the spawn-per-turn runner: the
/// turn ends with a named reason (or succeeds, where the fault is noise the driver tolerates), never hangs, and
/// leaves no process behind.</summary>
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
            // Readiness is observable before the prompt only in the long-lived families.
            data.Add(family, "hang:startup", oneShot ? FirstTokenTimeout : StartTimeout);
            data.Add(family, "hang:session-init", FirstTokenTimeout);
            data.Add(family, "hang:before-first-token", FirstTokenTimeout);
            data.Add(family, "hang:mid-stream", family == Codex ? FirstTokenTimeout : TurnTimeout);
            // A SIGSTOP the agent sends itself: the turn's watch kills it, so no limit is waited out.
            data.Add(family, "stop:before-first-token", ProcessStopped);
            data.Add(family, "stop:mid-stream", ProcessStopped);
            data.Add(family, "garbage", null);
            data.Add(family, "half-json", null);
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

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Faults))]
    public async Task Fault_EndsTheTurnWithANamedReason(string family, string fault, string? expectedReason)
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

        var result = await sim.RunAsync(family, "hello there", events, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(expectedReason == result.Reason,
            $"{family} {fault}: expected {expectedReason ?? "success"}, got {result.Status} {result.Reason}: {result.Message}");
        Assert.Equal(expectedReason is null ? TurnStatus.Succeeded : TurnStatus.Failed, result.Status);
        var terminal = Assert.Single(events.Events, e => e.IsTerminal);
        Assert.Same(terminal, events.Events[^1]);
        if (fault is "garbage" or "half-json" && family != Plain)
        {
            Assert.Contains(events.OfType<AgentNotice>(), n => n.Code == "unparsable_line");
        }

        if (expectedReason is not null)
        {
            Assert.False(string.IsNullOrWhiteSpace(result.Message));
        }
    }
}
