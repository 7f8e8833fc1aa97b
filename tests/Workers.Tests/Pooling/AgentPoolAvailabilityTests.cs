using Workers.Pooling;
using Workers.Tests.Pooling.Scripted;

namespace Workers.Tests.Pooling;

/// <summary>When a pool can serve nothing (<c>specs/pool.md</c>, "Availability"): every start failing with no serving
/// process left, or every capacity slot held past any turn's limits; and back once that ends.</summary>
public sealed class AgentPoolAvailabilityTests
{
    [Fact]
    public async Task StartsFailingInARow_WithNothingServing_MakeThePoolUnavailable_UntilAStartSucceeds()
    {
        // Arrange: every spawn of the agent fails; the pool keeps one process ready.
        await using var fixture = new PoolFixture(ScriptedLauncher.ManySessions,
            o => (o.MinReady, o.StartBackoff) = (1, TimeSpan.FromSeconds(1)));
        fixture.Launcher.FailSpawns = true;

        // Act: the first start fails, then each retry after its backoff.
        fixture.Pool.Start();
        var afterOne = fixture.Pool.Availability();
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        fixture.Time.Advance(TimeSpan.FromSeconds(2));
        await PoolFixture.WaitUntilAsync(() => fixture.Launcher.SpawnFailures >= AgentPool.UnavailableAfterFailedStarts);
        var unavailable = fixture.Pool.Availability();
        fixture.Launcher.FailSpawns = false;
        fixture.Time.Advance(TimeSpan.FromSeconds(4));
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.ReadyCount == 1);

        // Assert
        Assert.True(afterOne.IsAvailable);
        Assert.False(unavailable.IsAvailable);
        Assert.Equal(PoolAvailability.StartsFailing, unavailable.Code);
        Assert.Contains("ENOENT", unavailable.Reason, StringComparison.Ordinal);
        Assert.True(fixture.Pool.Availability().IsAvailable);
    }

    [Fact]
    public async Task EveryProcessLeasedPastAnyTurnsLimit_MakesThePoolUnavailable_UntilOneIsReleased()
    {
        // Arrange: both slots leased (as by turns whose runner lost them).
        await using var fixture = new PoolFixture(ScriptedLauncher.ManySessions, o => o.MaxProcesses = 2);
        var first = await fixture.LeaseAsync();
        await fixture.LeaseAsync();
        var timeouts = fixture.Profile.Options.Timeouts;
        var longestTurn = timeouts.Ready + timeouts.Turn + timeouts.Cancel + AgentPool.StuckMargin;

        // Act
        fixture.Time.Advance(longestTurn);
        var withinLimits = fixture.Pool.Availability();
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var stuck = fixture.Pool.Availability();
        fixture.Pool.Release(first, null, fixture.Profile.Digest, retire: false);

        // Assert
        Assert.True(withinLimits.IsAvailable);
        Assert.Equal((false, PoolAvailability.CapacityStuck), (stuck.IsAvailable, stuck.Code));
        Assert.Contains("Pool:MaxProcesses", stuck.Reason, StringComparison.Ordinal);
        Assert.True(fixture.Pool.Availability().IsAvailable);
    }

    [Fact]
    public async Task FailedStarts_WhileAProcessStillServes_LeaveThePoolAvailable()
    {
        // Arrange: a process leased before the agent stopped starting; the pool refills what the lease took.
        await using var fixture = new PoolFixture(ScriptedLauncher.ManySessions, o => (o.MinReady, o.MaxProcesses) = (1, 4));
        fixture.Pool.Start();
        await fixture.LeaseAsync();
        await PoolFixture.WaitUntilAsync(() => fixture.Pool.ReadyCount == 1);
        fixture.Launcher.FailSpawns = true;

        // Act: the refill after the next lease fails, and so does each retry after its backoff.
        await fixture.LeaseAsync();
        for (var seconds = 1; seconds <= 4; seconds *= 2)
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(seconds));
        }

        await PoolFixture.WaitUntilAsync(() => fixture.Launcher.SpawnFailures >= AgentPool.UnavailableAfterFailedStarts);

        // Assert
        Assert.True(fixture.Pool.Availability().IsAvailable);
    }
}
