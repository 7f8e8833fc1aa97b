using Microsoft.Extensions.Time.Testing;
using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Families;

/// <summary>The ACP session lifecycle against the simulated agent, seen from its own request log (issue 14, item 2): every
/// path that lets a session go while its process still answers sends <c>session/close</c> to an agent that advertises it
/// (claude-agent-acp holds a ~200 MB Claude Code child per open session), none to an agent that does not; a profile's
/// <c>Model</c> is set with <c>session/set_config_option</c> on new, pre-opened and resumed sessions.</summary>
public sealed class AcpSessionLifecycleTests
{
    private static readonly TimeSpan IdleTtl = TimeSpan.FromMilliseconds(300);

    public static TheoryData<string> ReleasePaths => ["idle", "deleted", "drained", "lru"];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(ReleasePaths))]
    public async Task ReleasePath_ClosesTheLiveSession(string path)
    {
        // Arrange: one process for the pool, so the second conversation of the LRU path takes this one over. Only the idle
        // path runs on a fake clock: there the idle time is exactly what the test advances it by.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var sim = new SimHarness(path == "idle" ? clock : null);
        var log = new AcpRequestLogFile(sim.DataDirectory);
        var pools = OneProcessPool(sim, log);
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var first = await pools.RunAsync(Acp, "one", "conversation-a", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(TurnStatus.Succeeded, first.Status);
        var pid = first.ProcessId!.Value;

        // Act
        switch (path)
        {
            case "idle":
                clock.Advance(IdleTtl);
                Assert.Equal(1, pools[Acp].Reap());
                break;
            case "deleted":
                pools[Acp].ForgetConversation("conversation-a");
                break;
            case "drained":
                Assert.Equal(1, pools[Acp].Drain());
                break;
            case "lru":
                var second = await pools.RunAsync(Acp, "two", "conversation-b", cancellationToken: TestContext.Current.CancellationToken);
                Assert.Equal((TurnStatus.Succeeded, pid), (second.Status, second.ProcessId));
                break;
        }

        // Assert: the process was asked to close conversation a's session (and, when it stops, nothing else it held).
        await Poll.UntilAsync(() => log.ClosedBy(pid).Contains(first.SessionId), $"session/close of {first.SessionId} from process {pid}");
        Assert.Single(log.ClosedBy(pid), first.SessionId);
    }

    [Fact(Timeout = 60_000)]
    public async Task DrainOfAReadyProcess_ClosesItsPreopenedSession()
    {
        await using var sim = new SimHarness();
        var log = new AcpRequestLogFile(sim.DataDirectory);
        var pools = OneProcessPool(sim, log);
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var pid = pools[Acp].Snapshot().Processes.Single().Pid;
        var preopened = Assert.Single(log.OpenedBy(pid));

        Assert.Equal(1, pools[Acp].Drain());

        await Poll.UntilAsync(() => log.ClosedBy(pid).Count > 0, $"session/close from the drained process {pid}");
        Assert.Equal([preopened], log.ClosedBy(pid));
    }

    [Fact(Timeout = 60_000)]
    public async Task AgentWithoutClose_IsSentNoCloseOnAnyPath()
    {
        // Arrange: an agent that does not advertise sessionCapabilities.close.
        await using var sim = new SimHarness();
        var log = new AcpRequestLogFile(sim.DataDirectory);
        var pools = OneProcessPool(sim, log, closes: false);
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);

        // Act: a session switch (LRU take-over), a deleted conversation, and a drain of the process that replaced it.
        var first = await pools.RunAsync(Acp, "one", "conversation-a", cancellationToken: TestContext.Current.CancellationToken);
        var second = await pools.RunAsync(Acp, "two", "conversation-b", cancellationToken: TestContext.Current.CancellationToken);
        pools[Acp].ForgetConversation("conversation-b");
        await pools[Acp].WaitForReadyAsync(1, TestContext.Current.CancellationToken);
        var replacement = pools[Acp].Snapshot().Processes.Single().Pid;
        Assert.Equal(1, pools[Acp].Drain());

        // Assert: every process that was let go has stopped, and none of them was sent session/close.
        Assert.Equal(first.ProcessId, second.ProcessId);
        foreach (var pid in new[] { first.ProcessId!.Value, replacement })
        {
            await Poll.UntilAsync(() => !Directory.Exists($"/proc/{pid}"), $"process {pid} to stop");
        }

        Assert.DoesNotContain(log.Read(), r => r.Method == "session/close");
    }

    [Fact(Timeout = 60_000)]
    public async Task ProfileModel_IsSetOnThePreopenedSessionAndAgainAfterAResume()
    {
        // Arrange: one turn per process, so the conversation's second turn resumes its session on another process; the
        // simulated agent, like claude-agent-acp, reopens a resumed session at its default model.
        await using var sim = new SimHarness();
        var log = new AcpRequestLogFile(sim.DataDirectory);
        sim.AddProfile(Acp, new Dictionary<string, string> { [log.Variable.Key] = log.Variable.Value }, configure: p =>
        {
            p.Model = "sim-fast";
            (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxTurnsPerProcess) = (1, 1, 1);
        });
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);

        // Act
        var first = await pools.RunAsync(Acp, "one", "conversation", cancellationToken: TestContext.Current.CancellationToken);
        var second = await pools.RunAsync(Acp, "two", "conversation", cancellationToken: TestContext.Current.CancellationToken);

        // Assert: the pre-opened session got the model before its turn; the resumed one got it again, after the resume.
        Assert.Equal((TurnStatus.Succeeded, "prewarmed"), (first.Status, first.Session));
        Assert.Equal((TurnStatus.Succeeded, "resumed", first.SessionId), (second.Status, second.Session, second.SessionId));
        Assert.NotEqual(first.ProcessId, second.ProcessId);
        var firstProcess = Methods(log, first.ProcessId!.Value, first.SessionId!);
        Assert.Equal(["session/set_config_option", "session/prompt"], firstProcess);
        var secondProcess = Methods(log, second.ProcessId!.Value, first.SessionId!);
        Assert.Equal(["session/resume", "session/set_config_option", "session/prompt"], secondProcess);
        Assert.All(log.Read().Where(r => r.Method == "session/set_config_option"),
            r => Assert.Contains("\"configId\":\"model\",\"value\":\"sim-fast\"", r.Params, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task ModelTheAgentDoesNotOffer_FailsTheTurnNamingIt()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => p.Model = "no-such-model");

        var result = await sim.RunAsync(Acp, "hello", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal((TurnStatus.Failed, FailureReasons.AgentError), (result.Status, result.Reason));
        Assert.Contains("session/set_config_option", result.Message, StringComparison.Ordinal);
        Assert.Contains("no-such-model", result.Message, StringComparison.Ordinal);
    }

    private static PoolHarness OneProcessPool(SimHarness sim, AcpRequestLogFile log, bool closes = true)
    {
        var env = new Dictionary<string, string> { [log.Variable.Key] = log.Variable.Value, ["SIM_CLOSE_SESSION"] = closes ? "true" : "false" };
        sim.AddProfile(Acp, env, configure: p =>
        {
            (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1);
            p.Pool.SessionIdleTtl = IdleTtl;
        });
        return sim.Pools();
    }

    /// <summary>The requests <paramref name="pid"/> read about <paramref name="sessionId"/> up to its turn, in order (the
    /// <c>session/close</c> of a process recycled after its turn may or may not have come yet).</summary>
    private static List<string> Methods(AcpRequestLogFile log, int pid, string sessionId) =>
        [.. log.Read().Where(r => r.Pid == pid && r.SessionId == sessionId && r.Method is not (AcpRequestLogFile.OpenedEntry or "session/close"))
            .Select(r => r.Method)];
}
