using Workers.Families;
using Workers.Pooling;
using Workers.Tests.Pooling.Scripted;
using Workers.Turns;
using static Workers.Tests.Pooling.Scripted.ScriptedLauncher;

namespace Workers.Tests.Pooling;

/// <summary>Warm sets (<c>Pool:WorkingDirectories</c>, <c>specs/pool.md</c>): ready processes kept per directory within one
/// pool's capacity, over scripted connections.</summary>
public sealed class AgentPoolWarmSetTests
{
    [Fact]
    public async Task Start_FillsEverySet_LaunchingAndPreopeningInItsDirectory()
    {
        await using var acp = new PoolFixture(ManySessions, o => o.MinReady = 1, project: 2);
        await using var claude = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1, project: 2);

        acp.Pool.Start();
        claude.Pool.Start();

        foreach (var fixture in new[] { acp, claude })
        {
            Assert.Equal((1, 2), (fixture.Pool.ReadyCountOf("default"), fixture.Pool.ReadyCountOf("project")));
            Assert.Equal(2, fixture.Launcher.Launched.Count(c => c.Launch.WorkingDirectory == fixture.ProjectDirectory));
        }

        Assert.Equal(2, acp.Launcher.Launched.Count(c => c.PreopenedIn == acp.ProjectDirectory));
        Assert.Equal(1, acp.Launcher.Launched.Count(c => c.PreopenedIn == acp.Profile.DefaultWorkingDirectory));
        Assert.True(acp.Pool.HasWarmedUp);
        var sets = acp.Pool.Snapshot().WarmSets;
        Assert.Equal(["default", "project"], sets.Select(s => s.Name));
        Assert.Equal((2, 2), (sets[1].Ready, sets[1].ReadyTarget));
    }

    [Fact]
    public async Task Lease_ForAWarmDirectory_WhereTheSessionIsFixedAtLaunch_IsWarm_AndRefillsThatSet()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1, project: 1);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", workingDirectory: fixture.ProjectDirectory);

        Assert.Equal((StartKinds.Warm, null), (lease.ProcessKind, lease.FallbackReason));
        Assert.Equal(fixture.ProjectDirectory, PoolFixture.Connection(lease).Launch.WorkingDirectory);
        Assert.Equal("project", lease.Process.WarmSetName);
        Assert.Equal((1, 1), (fixture.Pool.ReadyCountOf("default"), fixture.Pool.ReadyCountOf("project")));
        Assert.Equal(2, fixture.Launcher.Launched.Count(c => c.Launch.WorkingDirectory == fixture.ProjectDirectory));
    }

    [Fact]
    public async Task Lease_ForADirectoryWithoutASet_IsStillACold_WorkingDirectoryDiffers()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1, project: 1);
        Directory.CreateDirectory(fixture.OtherDirectory);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", workingDirectory: fixture.OtherDirectory);

        Assert.Equal((StartKinds.Cold, FallbackReasons.WorkingDirectoryDiffers), (lease.ProcessKind, lease.FallbackReason));
        Assert.Equal((1, 1), (fixture.Pool.ReadyCountOf("default"), fixture.Pool.ReadyCountOf("project")));
    }

    [Fact]
    public async Task Lease_ForAnEmptySet_OfAFamilyThatOpensSessionsAnywhere_TakesTheDefaultSetsProcess()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxProcesses) = (1, 1), project: 0);
        fixture.Pool.Start();

        var lease = await fixture.LeaseAsync("conv-1", workingDirectory: fixture.ProjectDirectory);

        Assert.Equal((StartKinds.Warm, null), (lease.ProcessKind, lease.FallbackReason));
        Assert.Equal("default", lease.Process.WarmSetName);
    }

    [Fact]
    public async Task Lease_InAFullPool_RetiresAnotherSetsIdleProcess_ThenTheLeastRecentlyUsedBoundOne_NeverWaits()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => (o.MinReady, o.MaxReady, o.MaxProcesses) = (1, 1, 2), project: 1);
        fixture.Pool.Start();
        fixture.ServeAndBind(await fixture.LeaseAsync("conv-a"), "conv-a");

        // Default's one process is bound; the slot left holds project's idle one: the turn goes before that prewarm.
        var second = await fixture.LeaseAsync("conv-b");

        Assert.Equal((StartKinds.Cold, FallbackReasons.NoReadyProcess), (second.ProcessKind, second.FallbackReason));
        Assert.Equal(fixture.Profile.DefaultWorkingDirectory, PoolFixture.Connection(second).Launch.WorkingDirectory);
        Assert.Equal(1, fixture.Retired(RetireReason.Evicted));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        fixture.ServeAndBind(second, "conv-b");

        // Both slots hold bound sessions of the default directory: the least recently used gives way to the project turn.
        var third = await fixture.LeaseAsync("conv-c", workingDirectory: fixture.ProjectDirectory);

        Assert.Equal(StartKinds.Cold, third.ProcessKind);
        Assert.Equal(fixture.ProjectDirectory, PoolFixture.Connection(third).Launch.WorkingDirectory);
        Assert.Equal(2, fixture.Retired(RetireReason.Evicted));
        Assert.Equal(["conv-b"], fixture.Pool.BoundConversations());
    }

    [Fact]
    public async Task AWaitingTurn_GetsTheFreedSlot_BeforeAnotherSetsRefill()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => (o.MinReady, o.MaxReady, o.MaxProcesses) = (1, 1, 1), project: 0);
        fixture.Pool.Start();
        var running = await fixture.LeaseAsync();

        var waiting = fixture.LeaseAsync(workingDirectory: fixture.ProjectDirectory);
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.Snapshot().WarmSets[1].WaitingTurns == 1);
        Assert.False(waiting.IsCompleted);
        // Without a conversation a process of this family is recycled: its slot frees while the default set is below its
        // minimum. The refill of the default set would take the slot; the waiting project turn does.
        fixture.Pool.Release(running, null, null, retire: false);
        var lease = await waiting;

        Assert.Equal(fixture.ProjectDirectory, PoolFixture.Connection(lease).Launch.WorkingDirectory);
        Assert.Equal([fixture.Profile.DefaultWorkingDirectory, fixture.ProjectDirectory], fixture.Launcher.Launched.Select(c => c.Launch.WorkingDirectory));
    }

    [Fact]
    public async Task AReadyOnlyLease_TakesOnlyFromTheSetOfItsDirectory()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady) = (0, 0), project: 1);
        fixture.Pool.Start();

        await Assert.ThrowsAsync<NoReadyProcessException>(() =>
            fixture.Pool.LeaseAsync(fixture.Request() with { ReadyOnly = true }, TestContext.Current.CancellationToken));

        Assert.Equal(1, fixture.Pool.ReadyCountOf("project"));
    }
}
