using Workers.Families;
using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Processes;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary>The lease ladder on real simulated-agent processes: which rung serves a turn, and what that removes
/// from the wait.</summary>
public sealed class LeaseLadderTests
{
    private static readonly Dictionary<string, string> Latency = new()
    {
        ["SIM_STARTUP_MS"] = "250",
        ["SIM_SESSION_NEW_MS"] = "200",
        ["SIM_SESSION_LOAD_MS"] = "200",
        ["SIM_FIRST_TOKEN_MS"] = "50",
        ["SIM_TOKENS"] = "4",
    };

    private static void AssertSums(TurnTiming t) =>
        Assert.Equal(t.SpawnToFirstToken, (t.CliReady ?? TimeSpan.Zero) + (t.SessionInit ?? TimeSpan.Zero) + t.ModelFirstToken!.Value + t.Remainder!.Value);

    [Theory(Timeout = 60_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    public async Task FirstTurnOnAWarmProcess_PaysNoReadinessAndRunsInAPrewarmedSession(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, Latency, configure: p => p.Pool.MinReady = 1);
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);

        var result = await pools.RunAsync(family, "hello", "conv-1", cancellationToken: TestContext.Current.CancellationToken);

        // The rung and the absent readiness wait are the pool's doing; how short session_init gets (a Claude process
        // finishes its session set-up in the background once ready) is measured by the benchmarks, not asserted here.
        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Equal((StartKinds.Warm, StartKinds.Prewarmed), (result.Process, result.Session));
        Assert.Equal(TimeSpan.Zero, result.Timing.CliReady);
        Assert.True(result.Timing.ProcessAgeAtLease > TimeSpan.Zero);
        AssertSums(result.Timing);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    public async Task ContinuedTurn_ReusesTheBoundProcessAndItsLiveSession(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, Latency, configure: p => p.Pool.MinReady = 1);
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var first = await pools.RunAsync(family, "one", "conv-1", cancellationToken: TestContext.Current.CancellationToken);

        var second = await pools.RunAsync(family, "two", "conv-1", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, second.Status);
        Assert.Equal((StartKinds.Warm, StartKinds.Live, "continued"), (second.Process, second.Session, second.Turn));
        Assert.Equal(first.ProcessId, second.ProcessId);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(TimeSpan.Zero, second.Timing.CliReady);
        Assert.True(second.Usage?.CacheReadTokens > 0);
        AssertSums(second.Timing);
    }

    [Fact(Timeout = 60_000)]
    public async Task AcpConversationWhoseProcessIsGone_ResumesOnAWarmProcess()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Latency, configure: p => p.Pool.MinReady = 2);
        var pools = sim.Pools();
        await pools.WarmAsync(2, TestContext.Current.CancellationToken);
        var first = await pools.RunAsync(Acp, "one", "conv-1", cancellationToken: TestContext.Current.CancellationToken);
        ProcessGroup.Signal(first.ProcessId!.Value, ProcessGroup.SigKill);
        await Poll.UntilAsync(() => pools[Acp].Snapshot().BoundSessions == 0, "the pool to drop the killed bound process");

        var second = await pools.RunAsync(Acp, "two", "conv-1", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, second.Status);
        Assert.Equal((StartKinds.Warm, StartKinds.Resumed), (second.Process, second.Session));
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.NotEqual(first.ProcessId, second.ProcessId);
        Assert.Equal(TimeSpan.Zero, second.Timing.CliReady);
        Assert.True(second.Usage?.CacheReadTokens > 0);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(Claude)]
    [InlineData(Codex)]
    public async Task ConversationWithoutALiveProcess_ColdSpawnsWithTheResumeFlag(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, Latency, configure: p => p.Pool.MinReady = 1);
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var first = await pools.RunAsync(family, "one", "conv-1", cancellationToken: TestContext.Current.CancellationToken);
        pools.Registry.ForgetConversation("conv-1");
        // Forgetting the live process keeps the durable session id: the next turn resumes it.

        var second = await pools.RunAsync(family, "two", "conv-1", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, second.Status);
        Assert.Equal((StartKinds.Cold, StartKinds.Resumed, "continued"), (second.Process, second.Session, second.Turn));
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.True(second.Usage?.CacheReadTokens > 0);
        AssertSums(second.Timing);
    }

    [Fact(Timeout = 60_000)]
    public async Task StaleDurableSession_IsClearedAndTheTurnRerunsOnANewSession()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Latency, configure: p => p.Pool.MinReady = 1);
        var pools = sim.Pools();
        await pools.Sessions.RecordAsync(new Workers.Sessions.ConversationSession("conv-1", Acp, "not-a-session", sim.Catalog.Get(Acp).DefaultWorkingDirectory,
            DateTimeOffset.UnixEpoch), TestContext.Current.CancellationToken);
        var events = new EventCollector();

        var result = await pools.RunAsync(Acp, "two", "conv-1", events, [new("user", "one"), new("assistant", "ok")], TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Contains(events.OfType<AgentNotice>(), n => n.Code == "stale_resume");
        Assert.NotEqual("not-a-session", result.SessionId);
        Assert.StartsWith("Echo: The conversation so", result.Text, StringComparison.Ordinal);
        var stored = await pools.Sessions.FindAsync("conv-1", Acp, TestContext.Current.CancellationToken);
        Assert.Equal(result.SessionId, stored?.AgentSessionId);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(ProcessGroup.SigStop)]
    [InlineData(ProcessGroup.SigKill)]
    public async Task ReadyProcessStoppedOrKilledWhileIdle_IsNeverLeased(int signal)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Latency, configure: p =>
        {
            p.Pool.MinReady = 2;
            p.Pool.MaxReady = 2;
        });
        var pools = sim.Pools();
        await pools.WarmAsync(2, TestContext.Current.CancellationToken);
        var victim = pools[Acp].Snapshot().Processes.First(p => p.State == PoolProcessState.Ready).Pid;
        ProcessGroup.Signal(victim, signal);
        // kill() only queues the signal: until the kernel has stopped (T) or ended the process, /proc still shows it
        // runnable and it is, rightly, leasable. The case under test is a process already stopped or dead while idle. A stopped
        // one may already be gone when the test looks: the pool's sweep kills it within Pool:StoppedCheckInterval.
        await Poll.UntilAsync(() => signal == ProcessGroup.SigStop ? ProcessLiveness.State(victim) is 'T' or 'Z' or null : !ProcessLiveness.IsRunnable(victim),
            $"process {victim} to be {(signal == ProcessGroup.SigStop ? "stopped" : "dead")}");

        var results = new List<TurnResult>();
        for (var i = 0; i < 3; i++)
        {
            results.Add(await pools.RunAsync(Acp, $"turn {i}", cancellationToken: TestContext.Current.CancellationToken));
        }

        Assert.All(results, r => Assert.Equal(TurnStatus.Succeeded, r.Status));
        Assert.DoesNotContain(results, r => r.ProcessId == victim);
        await Poll.UntilAsync(() => ProcessLiveness.State(victim) is null or 'Z', $"the victim {victim} to be killed");
    }

    [Fact(Timeout = 60_000)]
    public async Task ProcessKilledBeforeFirstOutput_TheTurnSucceedsOnAnother()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Latency, configure: p => p.Pool.MinReady = 2);
        var pools = sim.Pools();
        await pools.WarmAsync(2, TestContext.Current.CancellationToken);
        var events = new EventCollector();
        var running = pools.RunAsync(Acp, "slow [[sim:first-token-ms=1500]]", events: events, cancellationToken: TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => events.OfType<SessionStarted>().Any(), "the turn to start its session");
        var leased = pools[Acp].Snapshot().Processes.Single(p => p.State == PoolProcessState.Leased).Pid;
        ProcessGroup.Signal(leased, ProcessGroup.SigKill);

        var result = await running;

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Equal(2, result.Attempts);
        Assert.NotEqual(leased, result.ProcessId);
        var retry = Assert.Single(events.OfType<AgentNotice>(), n => n.Code == "process_retry");
        Assert.Contains("killed from outside", retry.Message, StringComparison.Ordinal);
        Assert.Single(events.Events, e => e.IsTerminal);
    }

    [Fact(Timeout = 60_000)]
    public async Task ProcessKilledAfterAToolCallAndText_FailsTheTurnWithANamedReason()
    {
        // After a tool call the turn is not run again (its tool could run twice): a death fails it. (After text alone it
        // would be retried on another process: Pooling/RetryAfterTextTests.)
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Latency, configure: p => p.Pool.MinReady = 1);
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var events = new EventCollector();
        var running = pools.RunAsync(Acp, "long [[sim:permission]] [[sim:tokens=200]] [[sim:token-interval-ms=20]]", events: events,
            cancellationToken: TestContext.Current.CancellationToken);
        await events.FirstText.WaitAsync(TestContext.Current.CancellationToken);
        ProcessGroup.Signal(pools[Acp].Snapshot().Processes.Single(p => p.State == PoolProcessState.Leased).Pid, ProcessGroup.SigKill);

        var result = await running;

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessExitMidStream), (result.Status, result.Reason));
        Assert.Equal(1, result.Attempts);
        Assert.NotNull(result.StderrTail);
    }

    [Fact(Timeout = 60_000)]
    public async Task AtCapacity_TheLeastRecentlyUsedBoundSessionIsReleased()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Claude, Latency, configure: p =>
        {
            p.Pool.MinReady = 0;
            p.Pool.MaxReady = 1;
            p.Pool.MaxProcesses = 2;
            p.Pool.Adaptive.Enabled = false;
        });
        var pools = sim.Pools();
        var a = await pools.RunAsync(Claude, "a", "conv-a", cancellationToken: TestContext.Current.CancellationToken);
        var b = await pools.RunAsync(Claude, "b", "conv-b", cancellationToken: TestContext.Current.CancellationToken);

        var c = await pools.RunAsync(Claude, "c", "conv-c", cancellationToken: TestContext.Current.CancellationToken);
        var bAgain = await pools.RunAsync(Claude, "b2", "conv-b", cancellationToken: TestContext.Current.CancellationToken);
        var aAgain = await pools.RunAsync(Claude, "a2", "conv-a", cancellationToken: TestContext.Current.CancellationToken);

        Assert.All([a, b, c, bAgain, aAgain], r => Assert.Equal(TurnStatus.Succeeded, r.Status));
        // conv-a was least recently used when conv-c arrived: released, then resumed in a new process.
        Assert.Equal(StartKinds.Live, bAgain.Session);
        Assert.Equal((StartKinds.Cold, StartKinds.Resumed), (aAgain.Process, aAgain.Session));
        Assert.Equal(a.SessionId, aAgain.SessionId);
        Assert.True(pools[Claude].Snapshot().Processes.Count <= 2);
        Assert.True(pools[Claude].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Evicted) >= 1);
    }
}
