using Workers.Service;
using Workers.Store;
using Workers.Tests.Service.Scripted;
using Workers.Turns;

namespace Workers.Tests.Service;

/// <summary>A cancel ends its turn <c>cancelled</c>, with its terminal event, wherever it lands: before the claim of a new
/// attempt, or as the turn is claimed, before the runner's own cancel handling (issue 12, defect 7: the escaped
/// <see cref="OperationCanceledException"/> left the turn running until it failed <c>worker_lost</c>).</summary>
public sealed class DispatcherCancelTests
{
    [Fact]
    public async Task CancelAskedWhileAnEarlierAttemptRan_EndsTheReclaimedTurnCancelled_WithoutRunningIt()
    {
        // Arrange: an earlier run of this worker claimed the turn, its producer cancelled it, and the worker died.
        await using var fixture = await DispatcherFixture.CreateAsync();
        fixture.Runner.CancelThrows = true;
        await fixture.EnqueueAsync("t1");
        await fixture.Store.ClaimAsync(new ClaimRequest("worker-under-test", DispatcherFixture.LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), TestContext.Current.CancellationToken);
        var asked = StoreEventSink.ToStored(new TurnCancelled("Cancelled by the producer.") { Sequence = 1 }, fixture.Time.GetUtcNow());
        var outcome = await fixture.Store.RequestCancelAsync("t1", asked, "{}", fixture.Time.GetUtcNow(),
            TestContext.Current.CancellationToken);
        Assert.Equal(CancelOutcome.CancelRequested, outcome);

        // Act: the service restarts and takes the turn back as attempt 2.
        await fixture.StartAsync();
        var ended = await fixture.WaitForEndAsync("t1");

        // Assert: no process was spent on it; it ended cancelled with its terminal event last.
        Assert.Equal((TurnState.Cancelled, FailureReasons.Cancelled, 2), (ended.State, ended.Reason, ended.Attempts));
        Assert.Equal(0, fixture.Runner.Calls);
        Assert.Equal(["attempt", "cancelled"], (await fixture.EventsAsync("t1")).Select(e => e.Type));
    }

    [Fact]
    public async Task CancelLandingBeforeTheRunnersOwnHandling_EndsTheTurnCancelled()
    {
        // Arrange: the runner was handed the turn; a cancel now makes it throw (as the session lookup does).
        await using var fixture = await DispatcherFixture.CreateAsync();
        fixture.Runner.CancelThrows = true;
        var turn = await fixture.StartWithQueuedAsync("t1");

        // Act
        Assert.True(fixture.Dispatcher.TryCancel("t1"));
        await Bounded.WaitAsync(turn.Cancelled);
        var ended = await fixture.WaitForEndAsync("t1");

        // Assert: ended, not left running for its lease to expire; its one run is on record as cancelled.
        Assert.Equal((TurnState.Cancelled, FailureReasons.Cancelled, 1), (ended.State, ended.Reason, ended.Attempts));
        Assert.Equal("cancelled", (await fixture.EventsAsync("t1"))[^1].Type);
        var run = Assert.Single(await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken));
        Assert.Equal("cancelled", run.Outcome);
    }
}
