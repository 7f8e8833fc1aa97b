using Workers.Service;
using Workers.Store;
using Workers.Tests.Service.Scripted;

namespace Workers.Tests.Service;

/// <summary>A running turn under faults of the store and of its own run (issue 11): a renewal the store fails is retried
/// within the lease; a lease that could not be renewed in time stops the run; a turn still running here is never claimed
/// again here; a cancel that reaches a run that has just ended is harmless; a stop whose host gives up stops at once.</summary>
public sealed class DispatcherFaultTests
{
    private static readonly TimeSpan Heartbeat = DispatcherFixture.LeaseDuration / 3;

    [Fact]
    public async Task RenewalsTheStoreFails_AreRetriedWithinTheLease_AndTheTurnRunsOn()
    {
        // Arrange: the first two renewals fail.
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        fixture.Faults.FailRenewals(2);

        // Act: the beat fails, and so does its first retry; the second retry gets through.
        var timers = fixture.Time.TimersCreated;
        fixture.Time.Advance(Heartbeat);
        await fixture.Faults.RenewalFailedAsync();
        timers = await AdvanceOnceArmedAsync(fixture, timers, TurnRun.FirstRenewalRetry);
        await fixture.Faults.RenewalFailedAsync();
        await AdvanceOnceArmedAsync(fixture, timers, 2 * TurnRun.FirstRenewalRetry);
        var renewedAt = fixture.Time.GetUtcNow();

        // Assert: the lease runs from the renewal that got through; the turn was never stopped and ends normally.
        await Bounded.UntilAsync(async () => (await fixture.GetAsync("t1")).LeaseExpiresAt == renewedAt + DispatcherFixture.LeaseDuration);
        Assert.False(turn.Token.IsCancellationRequested);
        turn.Succeed();
        Assert.Equal(TurnState.Succeeded, (await fixture.WaitForEndAsync("t1")).State);
    }

    [Fact]
    public async Task StoreDownPastTheLease_StopsTheRun_WhichWritesNothing_AndTheTurnIsTakenAgainAsTheNextAttempt()
    {
        // Arrange: renewals fail from the first beat on.
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        fixture.Faults.FailRenewals(int.MaxValue);

        // Act: retries until the lease is gone.
        var timers = fixture.Time.TimersCreated;
        fixture.Time.Advance(Heartbeat);
        await fixture.Faults.RenewalFailedAsync();
        while (!turn.Token.IsCancellationRequested)
        {
            // Each retry waits at most half of what is left of the lease: move past it until the lease is gone.
            timers = await AdvanceOnceArmedAsync(fixture, timers, DispatcherFixture.LeaseDuration / 2, orUntil: () => turn.Token.IsCancellationRequested);
        }

        // Assert: the run stopped without writing its end; once it has ended, the turn is claimed again as attempt 2.
        fixture.Faults.FailRenewals(0);
        var again = await fixture.Runner.NextAsync();
        Assert.True(turn.IsEnded);
        Assert.Equal(("t1", 2), (again.Request.Id, (await fixture.GetAsync("t1")).Attempts));
        var runs = await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken);
        Assert.Equal([(1, RunOutcomes.Lost), (2, RunOutcomes.Running)], runs.Select(r => (r.Attempt, r.Outcome)));
        again.Succeed();
        Assert.Equal(TurnState.Succeeded, (await fixture.WaitForEndAsync("t1")).State);
    }

    [Fact]
    public async Task TurnStillRunningHereWithAnExpiredLease_IsNotClaimedAgainHere()
    {
        // Arrange: an agent slow to stop, and a store that stops answering renewals, so the lease runs out under the run.
        await using var fixture = await DispatcherFixture.CreateAsync();
        fixture.Runner.TurnsEndWhenCancelled = false;
        var first = await fixture.StartWithQueuedAsync("t1");
        fixture.Faults.FailRenewals(int.MaxValue);
        fixture.Time.Advance(DispatcherFixture.LeaseDuration + TimeSpan.FromSeconds(1));
        Assert.True((await fixture.GetAsync("t1")).LeaseExpiresAt < fixture.Time.GetUtcNow());

        // Act: another turn wakes the claim loop while t1 still runs here.
        await fixture.EnqueueAsync("t2");
        var next = await fixture.Runner.NextAsync();

        // Assert: the loop took t2, not t1 again; t1 is still its first attempt.
        Assert.Equal("t2", next.Request.Id);
        Assert.Equal(2, fixture.Runner.Calls);
        Assert.Equal(1, (await fixture.GetAsync("t1")).Attempts);
        first.Succeed();
        next.Succeed();
        Assert.Equal(TurnState.Succeeded, (await fixture.WaitForEndAsync("t2")).State);
    }

    [Fact]
    public async Task CancelOfARunThatHasJustEnded_IsHarmless()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        await fixture.EnqueueAsync("t1");
        var claimed = await fixture.Store.ClaimAsync(new ClaimRequest("worker-under-test", DispatcherFixture.LeaseDuration, null, [], 3), fixture.Time.GetUtcNow(),
            TestContext.Current.CancellationToken);
        var run = new TurnRun(claimed!, fixture.Services);
        var running = run.RunAsync();
        (await fixture.Runner.NextAsync()).Succeed();
        await Bounded.WaitAsync(running);
        // What the dispatcher does with a run that has ended (it used to dispose its cancel source here).
        ((object)run as IDisposable)?.Dispose();

        // As Dispatcher.TryCancel and the shutdown may, having found the run just before it ended.
        run.Cancel();
        await run.StopForShutdownAsync();

        Assert.Equal(TurnState.Succeeded, (await fixture.GetAsync("t1")).State);
    }

    [Fact]
    public async Task StopAsync_WhenTheHostGivesUp_StopsTheTurnsAtOnceAndHandsThemBack()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        using var hostGivesUp = new CancellationTokenSource();

        // The fake clock stands still: only the host's token can end the drain.
        var stopping = fixture.Dispatcher.StopAsync(hostGivesUp.Token);
        await hostGivesUp.CancelAsync();
        await Bounded.WaitAsync(turn.Cancelled);
        await Bounded.WaitAsync(stopping);

        var stored = await fixture.GetAsync("t1");
        Assert.Equal(TurnState.Running, stored.State);
        Assert.True(stored.LeaseExpiresAt < fixture.Time.GetUtcNow());
    }

    /// <summary>Waits until the code under test has armed a timer since <paramref name="timersBefore"/> were counted (or
    /// <paramref name="orUntil"/> holds), then moves the clock by <paramref name="step"/>; returns the count before the move,
    /// for the next call.</summary>
    private static async Task<int> AdvanceOnceArmedAsync(DispatcherFixture fixture, int timersBefore, TimeSpan step, Func<bool>? orUntil = null)
    {
        await Bounded.UntilAsync(() => fixture.Time.TimersCreated > timersBefore || orUntil?.Invoke() == true);
        var timers = fixture.Time.TimersCreated;
        fixture.Time.Advance(step);
        return timers;
    }
}
