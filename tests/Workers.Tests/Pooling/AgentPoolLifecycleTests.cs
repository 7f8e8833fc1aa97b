using Workers.Pooling;
using Workers.Tests.Pooling.Scripted;
using static Workers.Tests.Pooling.Scripted.ScriptedLauncher;

namespace Workers.Tests.Pooling;

/// <summary>Capacity, waiting, release, refill, start backoff and recycling of <see cref="AgentPool"/>, over scripted
/// connections on a fake clock. Over the usual size because every lifecycle edge (lifetime, idle TTL, backoff, recycling)
/// is tested at its exact instant on the one fixture; the ladder itself is in <see cref="AgentPoolLadderTests"/>.</summary>
public sealed class AgentPoolLifecycleTests
{
    [Fact]
    public async Task AtCapacity_AWaitingLeaseGetsTheProcessReleasedFirst()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady, o.MaxProcesses) = (1, 1, 1));
        fixture.Pool.Start();
        var held = await fixture.LeaseAsync();

        var waiting = fixture.LeaseAsync();
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.Snapshot().WaitingTurns == 1);
        Assert.False(waiting.IsCompleted);
        fixture.Pool.Release(held, null, null, retire: false);
        var lease = await waiting;

        Assert.Same(held.Process, lease.Process);
        Assert.Single(fixture.Launcher.Launched);
    }

    [Fact]
    public async Task AtCapacity_WaitingLeases_AreServedInArrivalOrder()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady, o.MaxProcesses) = (1, 1, 1));
        fixture.Pool.Start();
        var held = await fixture.LeaseAsync();
        var waiting = new List<Task<PoolLease>>();
        for (var i = 0; i < 3; i++)
        {
            waiting.Add(fixture.LeaseAsync());
            var expected = i + 1;
            await PoolFixture.WaitUntilAsync(() => fixture.Pool.Snapshot().WaitingTurns == expected);
        }

        var order = new List<int>();
        var current = held;
        for (var served = 0; served < 3; served++)
        {
            fixture.Pool.Release(current, null, null, retire: false);
            var next = await Task.WhenAny(waiting);
            order.Add(waiting.IndexOf(next));
            current = await next;
            waiting[waiting.IndexOf(next)] = new TaskCompletionSource<PoolLease>().Task;
        }

        Assert.Equal([0, 1, 2], order);
    }

    [Fact]
    public async Task AtCapacity_ALeaseWaitingPastLeaseTimeout_FailsAsExhausted()
    {
        await using var fixture = new PoolFixture(ManySessions, o =>
        {
            (o.MinReady, o.MaxReady, o.MaxProcesses) = (1, 1, 1);
            o.LeaseTimeout = TimeSpan.FromSeconds(30);
        });
        fixture.Pool.Start();
        var held = await fixture.LeaseAsync();
        var waiting = fixture.LeaseAsync();
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.Snapshot().WaitingTurns == 1);

        fixture.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(waiting.IsCompleted);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<PoolExhaustedException>(() => waiting);
        Assert.Contains("MaxProcesses", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fixture.Pool.Counters.Read().LeaseTimeouts);
        fixture.Pool.Release(held, null, null, retire: false);
    }

    [Fact]
    public async Task Release_WithRetire_RetiresTheProcessAndRefills()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync();

        fixture.Pool.Release(lease, null, null, retire: true);

        Assert.Equal(1, fixture.Retired(RetireReason.TurnFailed));
        Assert.Equal(1, fixture.Pool.ReadyCount);
        await PoolFixture.WaitUntilAsync(() => PoolFixture.Connection(lease).Disposed);
    }

    [Fact]
    public async Task Release_WithoutAConversation_ReturnsAProcessThatServesManySessionsToTheReadyChannel()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady) = (1, 1));
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync();

        fixture.Pool.Release(lease, null, null, retire: false);

        Assert.Equal(PoolProcessState.Ready, lease.Process.State);
        Assert.Equal(0, fixture.Retired(RetireReason.Recycled));
    }

    [Fact]
    public async Task Release_WithoutAConversation_RecyclesAProcessWhoseSessionIsFixedAtLaunch()
    {
        await using var fixture = new PoolFixture(SessionAtLaunch, o => o.MinReady = 1);
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync();

        fixture.Pool.Release(lease, null, null, retire: false);

        Assert.Equal(PoolProcessState.Retired, lease.Process.State);
        Assert.Equal(1, fixture.Retired(RetireReason.Recycled));
    }

    [Fact]
    public async Task Release_OfAOneTurnFamily_RecyclesTheProcess()
    {
        await using var fixture = new PoolFixture(ManySessions with { ServesManyTurns = false }, o => o.MinReady = 1);
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync("conv-1");

        fixture.ServeAndBind(lease, "conv-1");

        Assert.Equal(1, fixture.Retired(RetireReason.Recycled));
        Assert.Empty(fixture.Pool.BoundConversations());
    }

    [Fact]
    public async Task Release_AfterMaxTurnsPerProcess_RecyclesTheProcess()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxTurnsPerProcess) = (1, 2));
        fixture.Pool.Start();
        var first = await fixture.LeaseAsync("conv-1");
        var session = fixture.ServeAndBind(first, "conv-1");
        var second = await fixture.LeaseAsync("conv-1", resume: session);

        fixture.ServeAndBind(second, "conv-1");

        Assert.Same(first.Process, second.Process);
        Assert.Equal(1, fixture.Retired(RetireReason.Recycled));
    }

    [Fact]
    public async Task Reap_RetiresIdleProcessesPastTheirLifetime_AndRefills()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxLifetime) = (1, TimeSpan.FromMinutes(10)));
        fixture.Pool.Start();
        var original = fixture.Launcher.Launched.Single();

        fixture.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, fixture.Pool.Reap());
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var reaped = fixture.Pool.Reap();

        Assert.Equal(1, reaped);
        Assert.Equal(1, fixture.Retired(RetireReason.Lifetime));
        Assert.Equal(2, fixture.Launcher.Launched.Count);
        Assert.Equal(1, fixture.Pool.ReadyCount);
        await PoolFixture.WaitUntilAsync(() => original.Disposed);
    }

    [Fact]
    public async Task Reap_ReleasesBoundSessionsIdlePastTheirTtl()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.SessionIdleTtl) = (1, TimeSpan.FromMinutes(5)));
        fixture.Pool.Start();
        fixture.ServeAndBind(await fixture.LeaseAsync("conv-1"), "conv-1");

        fixture.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, fixture.Pool.Reap());
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        fixture.Pool.Reap();

        Assert.Empty(fixture.Pool.BoundConversations());
        Assert.Equal(1, fixture.Retired(RetireReason.Idle));
    }

    [Fact]
    public async Task FailingStarts_BackOffExponentially_AndASuccessResetsTheBackoff()
    {
        await using var fixture = new PoolFixture(ManySessions, o =>
        {
            o.MinReady = 1;
            o.StartBackoff = TimeSpan.FromSeconds(1);
            o.StartBackoffMax = TimeSpan.FromSeconds(60);
        });
        fixture.Launcher.ReadyAtOnce = false;
        fixture.Pool.Start();

        // Each failed start doubles the wait before the next one: 1 s, 2 s, 4 s.
        foreach (var backoff in new[] { 1, 2, 4 })
        {
            var launches = fixture.Launcher.Launched.Count;
            fixture.Launcher.Launched[^1].FailReadiness();
            await PoolFixture.WaitUntilAsync(() => fixture.Pool.Counters.Read().StartFailures == launches);
            fixture.Time.Advance(TimeSpan.FromSeconds(backoff) - TimeSpan.FromMilliseconds(1));
            fixture.Pool.Replenish();
            Assert.Equal(launches, fixture.Launcher.Launched.Count);
            fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
            // The backoff timer may be armed a moment after the failure is counted; a lease or exit refills the same way.
            fixture.Pool.Replenish();
            Assert.Equal(launches + 1, fixture.Launcher.Launched.Count);
        }

        fixture.Launcher.Launched[^1].BecomeReady();
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.ReadyCount == 1);
        var lease = await fixture.LeaseAsync();
        fixture.Pool.Release(lease, null, null, retire: true);
        fixture.Launcher.Launched[^1].FailReadiness();
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.Counters.Read().StartFailures == 4);
        var afterReset = fixture.Launcher.Launched.Count;
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        fixture.Pool.Replenish();

        Assert.Equal(afterReset + 1, fixture.Launcher.Launched.Count);
    }

    [Fact]
    public async Task SpawnFailures_DoNotLeakCapacity()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MaxProcesses = 1);
        fixture.Launcher.FailSpawns = true;

        await Assert.ThrowsAsync<Workers.Processes.SpawnFailedException>(() => fixture.LeaseAsync());
        fixture.Launcher.FailSpawns = false;
        var lease = await fixture.LeaseAsync();

        Assert.Equal(Workers.Families.StartKinds.Cold, lease.ProcessKind);
        Assert.Equal(0, fixture.Pool.Snapshot().ReservedSlots);
    }

    [Fact]
    public async Task Drain_RetiresIdleProcessesNow_AndLeasedOnesWhenTheirTurnEnds()
    {
        await using var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady) = (2, 2));
        fixture.Pool.Start();
        var leased = await fixture.LeaseAsync();

        var retiredNow = fixture.Pool.Drain();
        Assert.Equal(PoolProcessState.Leased, leased.Process.State);
        fixture.Pool.Release(leased, null, null, retire: false);

        Assert.Equal(2, retiredNow);
        Assert.Equal(PoolProcessState.Retired, leased.Process.State);
        Assert.Equal(3, fixture.Retired(RetireReason.Drained));
    }

    [Fact]
    public async Task ForgetConversation_RetiresItsBoundProcess()
    {
        await using var fixture = new PoolFixture(ManySessions, o => o.MinReady = 1);
        fixture.Pool.Start();
        var lease = await fixture.LeaseAsync("conv-1");
        fixture.ServeAndBind(lease, "conv-1");

        fixture.Pool.ForgetConversation("conv-1");

        Assert.Empty(fixture.Pool.BoundConversations());
        Assert.Equal(1, fixture.Retired(RetireReason.Forgotten));
    }

    [Fact]
    public async Task Stop_EndsEveryProcess_AndLeasesAfterItAreRefused()
    {
        var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady) = (2, 2));
        fixture.Pool.Start();

        await fixture.Pool.StopAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);

        Assert.All(fixture.Launcher.Launched, c => Assert.True(c.Disposed));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => fixture.LeaseAsync());
        await fixture.DisposeAsync();
    }

    [Fact]
    public async Task Stop_WhenTheHostGivesUp_EndsTheDrainAtOnce_AndKillsAgentsThatIgnoreAGracefulStop()
    {
        // Arrange: a leased process (a turn that would hold the drain) and a ready one, both deaf to EOF and SIGTERM.
        var fixture = new PoolFixture(ManySessions, o => (o.MinReady, o.MaxReady, o.MaxProcesses) = (2, 2, 2));
        fixture.Pool.Start();
        await fixture.LeaseAsync("conv-1");
        await PoolFixture.WaitUntilAsync(() => fixture.Launcher.Launched.Count == 2);
        foreach (var connection in fixture.Launcher.Launched)
        {
            connection.StopsOnlyWhenKilled = true;
        }

        using var hostGivesUp = new CancellationTokenSource();

        // Act: the fake clock stands still, so only the host's token can end the drain and the stops.
        var stopping = fixture.Pool.StopAsync(TimeSpan.FromHours(1), hostGivesUp.Token);
        await hostGivesUp.CancelAsync();
        await PoolFixture.WaitUntilAsync(() => stopping.IsCompleted);
        await stopping;

        // Assert
        Assert.All(fixture.Launcher.Launched, c => Assert.True(c.Disposed && c.ScriptedProcess.Kills >= 1));
        await fixture.DisposeAsync();
    }
}
