using Workers.Families;
using Workers.Pooling;
using Workers.Tests.Pooling.Scripted;
using Workers.Turns;
using static Workers.Tests.Pooling.Scripted.ScriptedLauncher;

namespace Workers.Tests.Pooling;

/// <summary>The lease ladder of <see cref="AgentPool"/> over scripted connections: which rung a lease takes, and what
/// it says about why (<c>specs/pool.md</c>).</summary>
public sealed class AgentPoolLadderTests
{
    [Fact]
    public async Task Start_FillsToMinReady_WithSessionsPreopenedWhereTheFamilyCan()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 2);

        fixture.Pool.Start();

        Assert.Equal(2, fixture.Pool.ReadyCount);
        Assert.All(fixture.Launcher.Launched, c => Assert.Equal(1, c.Preopens));
        Assert.All(fixture.Launcher.Launched, c => Assert.Null(c.Launch.PresetSessionId));
    }

    [Fact]
    public async Task Start_PresetsTheSessionIdWhereTheFamilyTakesItAtLaunch()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1);

        fixture.Pool.Start();

        var launched = Assert.Single(fixture.Launcher.Launched);
        Assert.NotNull(launched.Launch.PresetSessionId);
        Assert.Equal(0, launched.Preopens);
    }

    [Fact]
    public async Task Lease_TakesAReadyProcessWarm_AndRefillsBehindIt()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();
        var ready = fixture.Launcher.Launched.Single();

        var lease = await fixture.LeaseAsync("conv-1");

        Assert.Equal((StartKinds.Warm, false, null), (lease.ProcessKind, lease.FromBinding, lease.FallbackReason));
        Assert.Same(ready, lease.Process.Connection);
        Assert.Equal(2, fixture.Launcher.Launched.Count);
        Assert.Equal(1, fixture.Pool.ReadyCount);
    }

    [Fact]
    public async Task Lease_ForTheConversationOfABoundProcess_GetsThatProcessBack()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();
        var first = await fixture.LeaseAsync("conv-1");
        var session = fixture.ServeAndBind(first, "conv-1");

        var second = await fixture.LeaseAsync("conv-1", resume: session);

        Assert.Equal((StartKinds.Warm, true, null), (second.ProcessKind, second.FromBinding, second.FallbackReason));
        Assert.Same(first.Process, second.Process);
    }

    [Fact]
    public async Task Lease_ForABoundSessionOpenedUnderOtherSettings_RetiresItAndSaysWhy()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();
        var first = await fixture.LeaseAsync("conv-1");
        var session = fixture.ServeAndBind(first, "conv-1");

        var second = await fixture.LeaseAsync("conv-1", resume: session, digest: "other-settings");

        Assert.False(second.FromBinding);
        Assert.NotSame(first.Process, second.Process);
        Assert.Equal(FallbackReasons.BoundSessionMismatch, second.FallbackReason);
        Assert.Equal(1, fixture.Retired(RetireReason.Forgotten));
    }

    [Fact]
    public async Task BoundProcessThatDied_IsRetiredAndNeverLeasedAgain()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();
        var first = await fixture.LeaseAsync("conv-1");
        var session = fixture.ServeAndBind(first, "conv-1");

        PoolFixture.Connection(first).ScriptedProcess.Crash();
        await PoolFixture.WaitUntilAsync(() => fixture.Retired(RetireReason.Crashed) == 1);
        var second = await fixture.LeaseAsync("conv-1", resume: session);

        Assert.False(second.FromBinding);
        Assert.NotSame(first.Process, second.Process);
        Assert.Equal(0, fixture.Pool.Snapshot().BoundSessions);
    }

    [Fact]
    public async Task Lease_WithAResumeThatIsALaunchFlag_SpawnsColdWithTheResumeFlag()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", resume: "known-session");

        Assert.Equal((StartKinds.Cold, FallbackReasons.ResumeNeedsLaunch), (lease.ProcessKind, lease.FallbackReason));
        Assert.Equal("known-session", PoolFixture.Connection(lease).Launch.ResumeSessionId);
        Assert.Equal(1, fixture.Pool.ReadyCount);
    }

    [Fact]
    public async Task Lease_WithAResumeOnAFamilyThatResumesLive_TakesAReadyProcess()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", resume: "known-session");

        Assert.Equal((StartKinds.Warm, null), (lease.ProcessKind, lease.FallbackReason));
        Assert.Null(PoolFixture.Connection(lease).Launch.ResumeSessionId);
    }

    [Fact]
    public async Task Lease_ForAnotherDirectory_SpawnsColdWhereTheSessionIsFixedAtLaunch()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", workingDirectory: fixture.OtherDirectory);

        Assert.Equal((StartKinds.Cold, FallbackReasons.WorkingDirectoryDiffers), (lease.ProcessKind, lease.FallbackReason));
        Assert.Equal(fixture.OtherDirectory, PoolFixture.Connection(lease).Launch.WorkingDirectory);
    }

    [Fact]
    public async Task Lease_ForAnotherDirectory_TakesAReadyProcessWhereSessionsCarryTheirDirectory()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", workingDirectory: fixture.OtherDirectory);

        Assert.Equal(StartKinds.Warm, lease.ProcessKind);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Lease_WithNoReadyProcessAndRoom_SpawnsColdWithoutAPresetSession(bool manySessions)
    {
        await using var fixture = new PoolFixture(manySessions ? ManySessions : SessionAtLaunch);

        var lease = await fixture.LeaseAsync("conv-1");

        Assert.Equal((StartKinds.Cold, FallbackReasons.NoReadyProcess), (lease.ProcessKind, lease.FallbackReason));
        Assert.Null(PoolFixture.Connection(lease).Launch.PresetSessionId);
    }

    [Fact]
    public async Task AtCapacity_AProcessThatServesManySessions_IsTakenOverFromTheLeastRecentlyUsedConversation()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MaxProcesses = 2);
        var a = await fixture.BindTwoConversationsAsync();

        var c = await fixture.LeaseAsync("conv-c");

        Assert.Equal((StartKinds.Warm, FallbackReasons.TookOverLruSession), (c.ProcessKind, c.FallbackReason));
        Assert.Same(a.Process, c.Process);
        Assert.Equal(2, fixture.Launcher.Launched.Count);
        Assert.Equal(["conv-b"], fixture.Pool.BoundConversations());
        Assert.Equal(1, fixture.Retired(RetireReason.Evicted));
    }

    [Fact]
    public async Task AtCapacity_AProcessWithOneSessionFixedAtLaunch_IsRetiredToMakeRoomForAColdSpawn()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MaxProcesses = 2);
        var a = await fixture.BindTwoConversationsAsync();

        var c = await fixture.LeaseAsync("conv-c");

        Assert.Equal(StartKinds.Cold, c.ProcessKind);
        Assert.Equal(3, fixture.Launcher.Launched.Count);
        Assert.Equal(["conv-b"], fixture.Pool.BoundConversations());
        Assert.Equal(1, fixture.Retired(RetireReason.Evicted));
        await PoolFixture.WaitUntilAsync(() => PoolFixture.Connection(a).Disposed);
    }

    [Fact]
    public async Task StoppedReadyProcess_IsSkippedRetiredAndKilled()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 2);
        fixture.Pool.Start();
        var stopped = fixture.Launcher.Launched[0];
        stopped.ScriptedProcess.Stopped = true;

        var lease = await fixture.LeaseAsync();

        Assert.NotSame(stopped, lease.Process.Connection);
        Assert.Equal(1, fixture.Retired(RetireReason.Killed));
        await PoolFixture.WaitUntilAsync(() => stopped.ScriptedProcess.Kills == 1);
    }

    [Fact]
    public async Task ReadyProcessThatBrokeItsProtocol_IsNotLeased()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 2);
        fixture.Pool.Start();
        var broken = fixture.Launcher.Launched[0];
        broken.Broken = true;

        var lease = await fixture.LeaseAsync();

        Assert.NotSame(broken, lease.Process.Connection);
    }
}
