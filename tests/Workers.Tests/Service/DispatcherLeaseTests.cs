using Workers.Service;
using Workers.Store;
using Workers.Tests.Service.Scripted;
using Workers.Turns;

namespace Workers.Tests.Service;

/// <summary>The lease of a running turn: the heartbeat that renews it, a lease taken by someone else, and the cancels
/// (asked here, or flagged in the store by another replica), over the real store and a fake clock.</summary>
public sealed class DispatcherLeaseTests
{
    private static readonly TimeSpan Heartbeat = DispatcherFixture.LeaseDuration / 3;

    [Fact]
    public async Task Heartbeat_EveryThirdOfTheLease_RenewsItInTheStore()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var claimedAt = fixture.Time.GetUtcNow();
        var turn = await fixture.StartWithQueuedAsync("t1");
        Assert.Equal(claimedAt + DispatcherFixture.LeaseDuration, (await fixture.GetAsync("t1")).LeaseExpiresAt);

        for (var beat = 1; beat <= 2; beat++)
        {
            fixture.Time.Advance(Heartbeat);
            var expected = claimedAt + beat * Heartbeat + DispatcherFixture.LeaseDuration;
            await Bounded.UntilAsync(async () => (await fixture.GetAsync("t1")).LeaseExpiresAt == expected);
        }

        turn.Succeed();
        Assert.Equal(TurnState.Succeeded, (await fixture.WaitForEndAsync("t1")).State);
        Assert.False(turn.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task LeaseTakenBySomeoneElse_CancelsTheRun_AndItWritesNothing()
    {
        // Arrange: the run has an event pending when its lease expires and another worker claims the turn.
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        turn.Emit(new TextDelta("never stored"));
        var later = fixture.Time.GetUtcNow() + DispatcherFixture.LeaseDuration + TimeSpan.FromMilliseconds(1);
        var other = await fixture.Store.ClaimAsync(new ClaimRequest("other-worker", DispatcherFixture.LeaseDuration, null, [], 3), later,
            TestContext.Current.CancellationToken);
        Assert.Equal(("t1", 2), (other?.Turn.Id, other?.Turn.Attempts));

        // Act: the next heartbeat finds the lease gone.
        fixture.Time.Advance(Heartbeat);
        await Bounded.WaitAsync(turn.Cancelled);
        await Bounded.UntilAsync(() => fixture.Dispatcher.RunningCount == 0);

        // Assert: the turn is the other worker's, untouched by this run.
        var stored = await fixture.GetAsync("t1");
        Assert.Equal((TurnState.Running, "other-worker", 2), (stored.State, stored.LeaseOwner, stored.Attempts));
        Assert.Empty(await fixture.EventsAsync("t1"));
        var runs = await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken);
        Assert.Equal([(1, RunOutcomes.Lost), (2, RunOutcomes.Running)], runs.Select(r => (r.Attempt, r.Outcome)));
        Assert.All(runs, r => Assert.Null(r.Json));
    }

    [Fact]
    public async Task TryCancel_CancelsTheRunsToken_AndTheTurnEndsCancelled()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");

        Assert.True(fixture.Dispatcher.TryCancel("t1"));
        await Bounded.WaitAsync(turn.Cancelled);
        var ended = await fixture.WaitForEndAsync("t1");

        Assert.Equal((TurnState.Cancelled, FailureReasons.Cancelled), (ended.State, ended.Reason));
        Assert.Equal("cancelled", (await fixture.EventsAsync("t1"))[^1].Type);
        Assert.False(fixture.Dispatcher.TryCancel("not-running-here"));
    }

    [Fact]
    public async Task CancelFlaggedInTheStore_IsPickedUpAtTheNextHeartbeat()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");

        // As another replica's API does: only the store hears of it.
        var terminal = StoreEventSink.ToStored(new TurnCancelled("Cancelled elsewhere.") { Sequence = 1 }, fixture.Time.GetUtcNow());
        var outcome = await fixture.Store.RequestCancelAsync("t1", terminal, "{}", fixture.Time.GetUtcNow(),
            TestContext.Current.CancellationToken);
        Assert.Equal(CancelOutcome.CancelRequested, outcome);
        Assert.False(turn.Token.IsCancellationRequested);

        fixture.Time.Advance(Heartbeat);
        await Bounded.WaitAsync(turn.Cancelled);
        var ended = await fixture.WaitForEndAsync("t1");

        Assert.Equal((TurnState.Cancelled, FailureReasons.Cancelled), (ended.State, ended.Reason));
    }
}
