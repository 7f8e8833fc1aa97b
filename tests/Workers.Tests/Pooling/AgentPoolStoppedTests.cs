using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Tests.Pooling.Scripted;
using static Workers.Tests.Pooling.Scripted.ScriptedLauncher;

namespace Workers.Tests.Pooling;

/// <summary>Stopped processes are dead processes: the pool's sweep on its own clock; and kills during start-up, counted
/// apart from the failed starts the backoff is for.</summary>
public sealed class AgentPoolStoppedTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private static ScriptedConnection ConnectionInState(PoolFixture fixture, PoolProcessState state)
    {
        var pid = fixture.Pool.Snapshot().Processes.First(p => p.State == state).Pid;
        return fixture.Launcher.Launched.Single(c => c.ScriptedProcess.ProcessId == pid);
    }

    [Fact]
    public async Task StoppedReadyAndBoundProcesses_AreKilledAndRetiredAtTheNextCheck_AndThePoolRefills()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.StoppedCheckInterval) = (2, Interval));
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync("conv-a");
        fixture.ServeAndBind(lease, "conv-a");
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.ReadyCount == 2);
        var bound = PoolFixture.Connection(lease).ScriptedProcess;
        var ready = ConnectionInState(fixture, PoolProcessState.Ready).ScriptedProcess;
        ready.Stopped = true;
        bound.Stopped = true;

        fixture.Time.Advance(Interval - Tick);
        var killsBeforeTheCheck = ready.Kills + bound.Kills;
        fixture.Time.Advance(Tick);

        Assert.Equal(0, killsBeforeTheCheck);
        Assert.True(ready.WasStopped && bound.WasStopped);
        Assert.True(ready.HasExited && bound.HasExited);
        Assert.Equal(2, fixture.Retired(RetireReason.Killed));
        Assert.Empty(fixture.Pool.BoundConversations());
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.ReadyCount == 2);
    }

    [Fact]
    public async Task StoppedLeasedProcess_IsKilledAtTheNextCheck_AndRetiredAsKilledWhenItsTurnGivesItBack()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.StoppedCheckInterval) = (1, Interval));
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync();
        var process = PoolFixture.Connection(lease).ScriptedProcess;
        process.Stopped = true;

        fixture.Time.Advance(Interval);

        // The turn sees the exit and ends itself; the process stays its until it is given back.
        Assert.True(process.WasStopped && process.HasExited);
        Assert.Equal(PoolProcessState.Leased, lease.Process.State);
        fixture.Pool.Release(lease, null, null, retire: true);
        Assert.Equal(1, fixture.Retired(RetireReason.Killed));
        Assert.Equal(0, fixture.Retired(RetireReason.TurnFailed));
    }

    [Fact]
    public async Task ReloadedCheckInterval_IsFollowed()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.StoppedCheckInterval) = (1, Interval));
        fixture.Pool.Start();
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.ReadyCount == 1);
        var options = fixture.Pool.Options;
        fixture.Pool.UpdateOptions(new PoolOptions
        {
            MinReady = options.MinReady, MaxReady = options.MaxReady, MaxProcesses = options.MaxProcesses, LifetimeJitter = 0,
            Adaptive = options.Adaptive, StoppedCheckInterval = TimeSpan.FromSeconds(2),
        });
        var ready = ConnectionInState(fixture, PoolProcessState.Ready).ScriptedProcess;
        ready.Stopped = true;

        fixture.Time.Advance(TimeSpan.FromSeconds(2) - Tick);
        var killedEarly = ready.WasStopped;
        fixture.Time.Advance(Tick);

        Assert.False(killedEarly);
        Assert.True(ready.WasStopped);
    }

    [Fact]
    public async Task StoppedStartingProcess_IsKilledAndCountedAsAKilledStart_AndReplacedAtOnce()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.StoppedCheckInterval) = (1, Interval));
        fixture.Launcher.ReadyAtOnce = false;
        fixture.Pool.Start();
        var starting = fixture.Launcher.Launched[0].ScriptedProcess;
        starting.Stopped = true;

        fixture.Time.Advance(Interval);

        await PoolFixture.WaitUntilAsync(() => fixture.Launcher.Launched.Count == 2);
        var counters = fixture.Pool.Counters.Read();
        Assert.True(starting.WasStopped);
        Assert.Equal((1, 0), (counters.StartKills, counters.StartFailures));
        Assert.Equal(1, fixture.Retired(RetireReason.StartKilled));
    }

    [Fact]
    public async Task StartsKilledFromOutside_AreCountedApart_AndDoNotFeedTheStartBackoff()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.StartBackoff) = (1, TimeSpan.FromSeconds(1)));
        var outcomes = new List<string>();
        fixture.Pool.ProcessStartCompleted += (_, outcome) =>
        {
            lock (outcomes)
            {
                outcomes.Add(outcome);
            }
        };
        fixture.Launcher.ReadyAtOnce = false;
        fixture.Pool.Start();

        // SIGKILL, then SIGTERM, from outside: each start is replaced at once, the clock never moves.
        fixture.Launcher.Launched[0].ScriptedProcess.KillFromOutside(ProcessGroup.SigKill);
        await PoolFixture.WaitUntilAsync(() => fixture.Launcher.Launched.Count == 2);
        fixture.Launcher.Launched[1].ScriptedProcess.KillFromOutside(ProcessGroup.SigTerm);
        await PoolFixture.WaitUntilAsync(() => fixture.Launcher.Launched.Count == 3);

        // A CLI that cannot start backs off from the first step: the kills did not count as failures.
        fixture.Launcher.Launched[2].FailReadiness();
        // The failure is counted a moment before the start has ended (its process retired, its outcome reported).
        await PoolFixture.WaitUntilAsync(() => fixture.Retired(RetireReason.StartFailed) == 1 && OutcomeCount() == 3);
        fixture.Time.Advance(TimeSpan.FromSeconds(1) - Tick);
        fixture.Pool.Replenish();
        var launchesDuringTheBackoff = fixture.Launcher.Launched.Count;
        fixture.Time.Advance(Tick);
        fixture.Pool.Replenish();

        Assert.Equal(3, launchesDuringTheBackoff);
        Assert.Equal(4, fixture.Launcher.Launched.Count);
        Assert.Equal(2, fixture.Pool.Counters.Read().StartKills);
        Assert.Equal(2, fixture.Retired(RetireReason.StartKilled));
        Assert.Equal(1, fixture.Retired(RetireReason.StartFailed));
        lock (outcomes)
        {
            Assert.Equal([RetireReason.StartKilled, RetireReason.StartKilled, RetireReason.StartFailed], outcomes);
        }

        int OutcomeCount()
        {
            lock (outcomes)
            {
                return outcomes.Count;
            }
        }
    }
}
