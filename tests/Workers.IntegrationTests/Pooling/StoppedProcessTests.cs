using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Processes;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary>Stopped processes are dead processes, on real simulated agents whose model requests go through a child in
/// their process group (as claude-agent-acp's go through the claude CLI). The first-token limit is a minute and each test
/// has far less: a turn that waits on a stopped process fails by the test's timeout.</summary>
public sealed class StoppedProcessTests
{
    private static readonly Dictionary<string, string> WithChild = new() { ["SIM_SPAWN_CHILD"] = "1", ["SIM_FIRST_TOKEN_MS"] = "50" };

    private static PoolHarness Pools(SimHarness sim, string family, int ready)
    {
        sim.AddProfile(family, WithChild, configure: p =>
        {
            p.Pool.MinReady = ready;
            p.Pool.MaxReady = ready;
            p.Timeouts.FirstToken = TimeSpan.FromSeconds(60);
            p.Timeouts.Turn = TimeSpan.FromSeconds(120);
        });
        return sim.Pools();
    }

    private static int LeasedProcess(PoolHarness pools, string family) =>
        pools[family].Snapshot().Processes.Single(p => p.State == PoolProcessState.Leased).Pid;

    private static async Task<int> ChildOfAsync(int leader)
    {
        var child = 0;
        await Poll.UntilAsync(() => (child = ProcessTable.Read().FirstOrDefault(p => p.GroupId == leader && p.ProcessId != leader).ProcessId) > 0,
            $"the child in the group of process {leader}");
        return child;
    }

    private static async Task StopAsync(int processId)
    {
        ProcessGroup.SignalProcess(processId, ProcessGroup.SigStop);
        // kill() only queues the signal: the case under test starts when the kernel has stopped the process.
        await Poll.UntilAsync(() => ProcessLiveness.State(processId) is 'T' or null or 'Z', $"process {processId} to be stopped");
    }

    private static Task GoneAsync(params int[] processIds) =>
        Poll.UntilAsync(() => processIds.All(id => ProcessLiveness.State(id) is null or 'Z'), $"processes {string.Join(", ", processIds)} to be killed");

    [Theory(Timeout = 20_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task ChildStoppedWhileIdle_TheTurnRunsElsewhereWithoutWaitingOutItsTimeout(string family)
    {
        await using var sim = new SimHarness();
        var pools = Pools(sim, family, ready: 1);
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var victim = pools[family].Snapshot().Processes.Single(p => p.State == PoolProcessState.Ready).Pid;
        var child = await ChildOfAsync(victim);
        await StopAsync(child);

        var result = await pools.RunAsync(family, "hello", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.NotEqual(victim, result.ProcessId);
        await GoneAsync(victim, child);
        Assert.Equal(1, pools[family].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Killed));
    }

    [Fact(Timeout = 20_000)]
    public async Task StoppedMidTurnBeforeAnyOutput_TheTurnIsRetriedOnAnotherProcessAndSucceeds()
    {
        await using var sim = new SimHarness();
        var pools = Pools(sim, Acp, ready: 2);
        await pools.WarmAsync(2, TestContext.Current.CancellationToken);
        var events = new EventCollector();
        var running = pools.RunAsync(Acp, "slow [[sim:first-token-ms=1500]]", events: events, cancellationToken: TestContext.Current.CancellationToken);
        await Poll.UntilAsync(() => events.OfType<SessionStarted>().Any(), "the turn to start its session");
        var leased = LeasedProcess(pools, Acp);
        var child = await ChildOfAsync(leased);
        await StopAsync(leased);

        var result = await running;

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Equal(2, result.Attempts);
        Assert.NotEqual(leased, result.ProcessId);
        var retry = Assert.Single(events.OfType<AgentNotice>(), n => n.Code == "process_retry");
        Assert.Contains(FailureReasons.ProcessStopped, retry.Message, StringComparison.Ordinal);
        Assert.Single(events.Events, e => e.IsTerminal);
        await GoneAsync(leased, child);
        Assert.Equal(1, pools[Acp].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Killed));
    }

    [Fact(Timeout = 20_000)]
    public async Task StoppedMidTurnAfterAToolCallAndText_FailsTheTurnAsProcessStopped()
    {
        // After a tool call the turn is not run again (after text alone it would be: Pooling/RetryAfterTextTests).
        await using var sim = new SimHarness();
        var pools = Pools(sim, Acp, ready: 1);
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var events = new EventCollector();
        var running = pools.RunAsync(Acp, "long [[sim:permission]] [[sim:tokens=200]] [[sim:token-interval-ms=20]]", events: events,
            cancellationToken: TestContext.Current.CancellationToken);
        await events.FirstText.WaitAsync(TestContext.Current.CancellationToken);
        var leased = LeasedProcess(pools, Acp);
        await StopAsync(leased);

        var result = await running;

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessStopped), (result.Status, result.Reason));
        Assert.Equal(1, result.Attempts);
        Assert.Single(events.Events, e => e.IsTerminal);
        await GoneAsync(leased);
    }
}
