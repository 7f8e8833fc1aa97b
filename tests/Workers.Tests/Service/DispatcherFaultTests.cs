using System.Text.Json;
using Workers.Service;
using Workers.Store;
using Workers.Tests.Service.Scripted;
using Workers.Turns;

namespace Workers.Tests.Service;

/// <summary>A running turn under faults of the store and of its own run (issue 11): a renewal the store fails is retried
/// within the lease; a lease that could not be renewed in time stops the run, which fails <c>store_unavailable</c> once the
/// store answers unless another worker took the turn; a turn still running here is never claimed
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
    public async Task BeatThatComesPastTheLease_RenewsIt_WhenNobodyTookTheTurn()
    {
        // Arrange
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");

        // Act: this process stalls (the clock jumps) past the whole lease before its next beat.
        fixture.Time.Advance(2 * DispatcherFixture.LeaseDuration);

        // Assert: the late beat renewed the lease (expiry alone does not revoke it); the turn was never stopped.
        await Bounded.UntilAsync(async () => (await fixture.GetAsync("t1")).LeaseExpiresAt > fixture.Time.GetUtcNow());
        Assert.False(turn.Token.IsCancellationRequested);
        turn.Succeed();
        Assert.Equal(TurnState.Succeeded, (await fixture.WaitForEndAsync("t1")).State);
    }

    [Fact]
    public async Task StoreDownPastTheLease_StopsTheRun_AndItsFailureIsWrittenOnceTheStoreAnswers()
    {
        // Arrange: the store takes no renewal and no write from the first beat on.
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        fixture.Faults.FailRenewals(int.MaxValue);
        fixture.Faults.FailNextWrites(int.MaxValue);

        // Act: the clock runs (to each wake-up of the heartbeat's and the sink's retries) until the lease is gone.
        await fixture.Time.StepUntilAsync(() => Task.FromResult(turn.Token.IsCancellationRequested));
        var whileDown = await fixture.GetAsync("t1");
        fixture.Faults.FailRenewals(0);
        fixture.Faults.FailNextWrites(0);
        await fixture.Time.StepUntilAsync(async () => (await fixture.GetAsync("t1")).State != TurnState.Running);

        // Assert: nothing was written while the store was down; once it answered, the turn's end is the store's failure,
        // under the lease nobody took meanwhile, and its one run is on record as ended so.
        Assert.Equal((TurnState.Running, 1), (whileDown.State, whileDown.Attempts));
        var ended = await fixture.GetAsync("t1");
        Assert.Equal((TurnState.Failed, FailureReasons.StoreUnavailable, 1), (ended.State, ended.Reason, ended.Attempts));
        var run = Assert.Single(await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken));
        Assert.Equal("failed", run.Outcome);
        var events = await fixture.EventsAsync("t1");
        Assert.Equal(("failed", FailureReasons.StoreUnavailable), (events[^1].Type, JsonDocument.Parse(events[^1].Json).RootElement.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task StoreDownPastTheLease_AnotherWorkerTookTheTurn_TheStoppedRunWritesNothing()
    {
        // Arrange: a run over the store with faults, driven directly so the test sees when it is over.
        await using var fixture = await DispatcherFixture.CreateAsync();
        await fixture.EnqueueAsync("t1");
        var claimed = await fixture.Store.ClaimAsync(new ClaimRequest("worker-under-test", DispatcherFixture.LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), TestContext.Current.CancellationToken);
        var running = new TurnRun(claimed!, fixture.Services with { Store = fixture.Faults }).RunAsync();
        var turn = await fixture.Runner.NextAsync();
        fixture.Faults.FailRenewals(int.MaxValue);
        fixture.Faults.FailNextWrites(int.MaxValue);
        await fixture.Time.StepUntilAsync(() => Task.FromResult(turn.Token.IsCancellationRequested));

        // Act: while this worker cannot reach the store, another one takes the turn (its lease has expired); then the store
        // answers again.
        var other = await fixture.Store.ClaimAsync(new ClaimRequest("other-worker", DispatcherFixture.LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), TestContext.Current.CancellationToken);
        fixture.Faults.FailRenewals(0);
        fixture.Faults.FailNextWrites(0);
        await fixture.Time.StepUntilAsync(() => Task.FromResult(running.IsCompleted));

        // Assert: the stopped run was fenced off: the turn is the other worker's second attempt, untouched.
        Assert.Equal(("t1", 2), (other?.Turn.Id, other?.Turn.Attempts));
        var stored = await fixture.GetAsync("t1");
        Assert.Equal((TurnState.Running, "other-worker", 2), (stored.State, stored.LeaseOwner, stored.Attempts));
        var runs = await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken);
        Assert.Equal([(1, "worker-under-test", RunOutcomes.Lost), (2, "other-worker", RunOutcomes.Running)],
            runs.Select(r => (r.Attempt, r.Owner, r.Outcome)));
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
