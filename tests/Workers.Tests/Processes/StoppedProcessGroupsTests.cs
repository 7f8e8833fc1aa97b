using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Processes;

namespace Workers.Tests.Processes;

/// <summary>A stopped member of an agent's process group, found by one pass over <c>/proc</c>, on a real process group:
/// a shell leading its group and a <c>sleep</c> child in it. Not in parallel with other tests: the pass is shared by the
/// whole process, and another test's pass made between a shell's start and its child's would hide the child from the lease
/// check (by design: the sweep sees it), which is not what these tests are about.</summary>
[Collection(StoppedProcessGroupsCollection.Name)]
public sealed class StoppedProcessGroupsTests
{
    [Theory]
    [InlineData("4242 (node) S 1 4242 4242 0 -1", 'S', 4242)]
    [InlineData("77 (a) b (c)) T 5 4242 4242 0 -1", 'T', 4242)]
    [InlineData("78 (tracee) t 5 901 901 0 -1", 't', 901)]
    public void Parse_ReadsStateAndGroupAfterTheLastParenthesis(string stat, char state, int group)
    {
        var parsed = ProcessTable.Parse(1, Encoding.ASCII.GetBytes(stat));

        Assert.Equal(new ProcessStat(1, state, group), parsed);
    }

    [Fact]
    public async Task StoppedChildOfTheGroup_MakesTheLeaderUnrunnable_AndKillIfStoppedKillsTheWholeGroup()
    {
        await using var agent = StartShellWithAChild();
        var child = await ChildOfAsync(agent.ProcessId);
        var interval = TimeSpan.FromMilliseconds(250);
        var runnableBeforeTheStop = agent.IsRunnable;
        var killedBeforeTheStop = agent.KillIfStopped(interval);

        ProcessGroup.SignalProcess(child, ProcessGroup.SigStop);
        await UntilAsync(() => ProcessLiveness.State(child) == 'T');

        Assert.True(runnableBeforeTheStop);
        Assert.False(killedBeforeTheStop);
        // The leader alone looks fine: only a look at every member of the group sees the stop.
        Assert.True(ProcessLiveness.IsRunnable(agent.ProcessId));
        Assert.False(agent.IsRunnable);
        Assert.True(StoppedProcessGroups.Contains(agent.ProcessId, TimeSpan.Zero));
        Assert.True(agent.KillIfStopped(interval));
        var exit = await agent.Exited.WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ProcessGroup.SigKill, exit.Signal);
        Assert.True(agent.WasStopped);
        await UntilAsync(() => ProcessLiveness.State(child) is null or 'Z');
    }

    [Fact]
    public async Task TheLeaseCheck_ReadsAgainTheMembersAnEarlierPassFound_AndSeesAStopMadeSince()
    {
        await using var agent = StartShellWithAChild();
        var child = await ChildOfAsync(agent.ProcessId);
        // A pass that sees the child in the group, as the pools' sweep makes one every StoppedCheckInterval.
        Assert.False(StoppedProcessGroups.Contains(agent.ProcessId, TimeSpan.Zero));

        ProcessGroup.SignalProcess(child, ProcessGroup.SigStop);
        await UntilAsync(() => ProcessLiveness.State(child) == 'T');

        // The pass is older than the stop (and, within MembersMaxAge, reused): reading its members again sees the stop.
        Assert.True(StoppedProcessGroups.HasStoppedFollower(agent.ProcessId));
        Assert.False(agent.IsRunnable);
        // The sweep's own check reuses a pass up to half its interval old: a new one, then the kill.
        Assert.True(StoppedProcessGroups.Contains(agent.ProcessId, TimeSpan.Zero));
        Assert.True(agent.KillIfStopped(TimeSpan.FromMilliseconds(250)));
        await agent.Exited.WaitAsync(TestContext.Current.CancellationToken);
        await UntilAsync(() => ProcessLiveness.State(child) is null or 'Z');
    }

    [Fact]
    public async Task TheLeaseCheck_OfAnAgentStartedAfterThePass_MakesANewPass_AndSeesItsStoppedChild()
    {
        // A pass made before the agent exists, young enough to be reused by age alone.
        Assert.False(StoppedProcessGroups.Contains(-1, TimeSpan.Zero));
        await using var agent = StartShellWithAChild();
        var child = await ChildOfAsync(agent.ProcessId);

        ProcessGroup.SignalProcess(child, ProcessGroup.SigStop);
        await UntilAsync(() => ProcessLiveness.State(child) == 'T');

        Assert.True(StoppedProcessGroups.HasStoppedFollower(agent.ProcessId));
        Assert.False(agent.IsRunnable);
        ProcessGroup.SignalProcess(child, ProcessGroup.SigKill);
        await UntilAsync(() => ProcessLiveness.State(child) is null or 'Z');
    }

    /// <summary>A shell leading its process group, with a <c>sleep</c> child in the group.</summary>
    private static AgentProcess StartShellWithAChild() => AgentProcess.Start(
        new LaunchSpec("/bin/sh", ["-c", "sleep 60 & wait"], Path.GetTempPath(), new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            OutputFraming.Lines, 4096),
        TimeProvider.System, NullLogger.Instance);

    private static async Task<int> ChildOfAsync(int leader)
    {
        int? child = null;
        await UntilAsync(() => (child = ProcessTable.Read().FirstOrDefault(p => p.GroupId == leader && p.ProcessId != leader).ProcessId) > 0);
        return child!.Value;
    }

    /// <summary>Waits on real process state (bounded): the kernel delivers signals a moment after kill() returns.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), limit.Token);
        }
    }
}
