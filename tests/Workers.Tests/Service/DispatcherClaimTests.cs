using Workers.Store;
using Workers.Tests.Service.Scripted;
using Workers.Turns;

namespace Workers.Tests.Service;

/// <summary>What the <see cref="Workers.Service.Dispatcher"/> claims and when, and the turns it ends without a run:
/// over the real store, a scripted runner and a fake clock.</summary>
public sealed class DispatcherClaimTests
{
    [Fact]
    public async Task QueuedTurn_IsClaimedAndRun_AndItsEventsAndEndAreStored()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        var running = await fixture.GetAsync("t1");
        turn.Emit(new TextDelta("hello"));
        turn.Succeed("hello");
        var ended = await fixture.WaitForEndAsync("t1");

        Assert.Equal(("t1", "alpha", "prompt of t1", "conversation-of-t1", false), (turn.Request.Id, turn.Request.Profile,
            turn.Request.Prompt, turn.Request.ConversationId, turn.Request.Continued));
        Assert.Equal(0, turn.FirstSequence);
        Assert.Equal((TurnState.Running, "worker-under-test", 1), (running.State, running.LeaseOwner, running.Attempts));
        Assert.Equal(TurnState.Succeeded, ended.State);
        Assert.Equal(["text_delta", "completed"], (await fixture.EventsAsync("t1")).Select(e => e.Type));
        var run = Assert.Single(await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken));
        Assert.Equal((1, "worker-under-test", "succeeded"), (run.Attempt, run.Owner, run.Outcome));
    }

    [Fact]
    public async Task ProfileAtMaxProcesses_GetsNoFurtherClaim_WhileAnotherProfileDoes()
    {
        await using var fixture = await DispatcherFixture.CreateAsync(maxProcesses: 1);
        var first = await fixture.StartWithQueuedAsync("alpha-1", "alpha-2");

        // Enqueued after alpha-2: claimed before it only if alpha has no room (the store hands out the oldest first).
        await fixture.EnqueueAsync("beta-1", profile: "beta");
        var second = await fixture.Runner.NextAsync();

        Assert.Equal(("alpha-1", "beta-1"), (first.Request.Id, second.Request.Id));
        Assert.Equal(TurnState.Queued, (await fixture.GetAsync("alpha-2")).State);
        Assert.Equal(2, fixture.Dispatcher.RunningCount);
    }

    [Fact]
    public async Task FreedSlot_WakesTheLoop_ToClaimTheNextTurn()
    {
        // Enqueued before the start, so the loop has no wake-up pending: only the end of alpha-1 can wake it.
        await using var fixture = await DispatcherFixture.CreateAsync(maxProcesses: 1);
        var first = await fixture.StartWithQueuedAsync("alpha-1", "alpha-2");

        first.Succeed();
        var second = await fixture.Runner.NextAsync();

        Assert.Equal(("alpha-1", "alpha-2"), (first.Request.Id, second.Request.Id));
        Assert.Equal(TurnState.Succeeded, (await fixture.WaitForEndAsync("alpha-1")).State);
        Assert.Equal(TurnState.Running, (await fixture.GetAsync("alpha-2")).State);
    }

    [Fact]
    public async Task DeadlinePassedInTheQueue_FailsDeadlineExceeded_WithoutCallingTheRunner()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        await fixture.EnqueueAsync("late", deadline: fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        fixture.Time.Advance(TimeSpan.FromMinutes(2));

        await fixture.StartAsync();
        var ended = await fixture.WaitForEndAsync("late");

        Assert.Equal((TurnState.Failed, FailureReasons.DeadlineExceeded), (ended.State, ended.Reason));
        Assert.Equal(0, fixture.Runner.Calls);
        var terminal = Assert.Single(await fixture.EventsAsync("late"));
        Assert.Equal(("failed", 1L), (terminal.Type, terminal.Sequence));
    }

    [Fact]
    public async Task RunnerThrows_TheTurnFailsUnclassified()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("buggy");

        turn.Throw(new InvalidOperationException("scripted bug"));
        var ended = await fixture.WaitForEndAsync("buggy");

        Assert.Equal((TurnState.Failed, FailureReasons.Unclassified), (ended.State, ended.Reason));
        Assert.Contains("scripted bug", ended.Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AtStart_LeasesOfAnEarlierRunAreTakenBack_AndTheTurnRunsAsANewAttempt()
    {
        // Arrange: an earlier run of this worker claimed the turn and wrote an event, then died with its lease valid.
        await using var fixture = await DispatcherFixture.CreateAsync();
        await fixture.EnqueueAsync("survivor");
        var earlier = await fixture.Store.ClaimAsync(new ClaimRequest("worker-under-test", DispatcherFixture.LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), TestContext.Current.CancellationToken);
        var lostEvent = Workers.Service.StoreEventSink.ToStored(new TextDelta("lost") { Sequence = 1 }, fixture.Time.GetUtcNow());
        await fixture.Store.AppendEventsAsync(earlier!.Lease, [lostEvent], TestContext.Current.CancellationToken);

        // Act
        await fixture.StartAsync();
        var turn = await fixture.Runner.NextAsync();
        turn.Succeed();
        var ended = await fixture.WaitForEndAsync("survivor");

        // Assert: attempt 2 numbers its events in its own block, after an attempt event.
        Assert.Equal(Workers.Service.Dispatcher.AttemptSequenceBlock + 1, turn.FirstSequence);
        Assert.Equal((TurnState.Succeeded, 2), (ended.State, ended.Attempts));
        var events = await fixture.EventsAsync("survivor");
        Assert.Equal([(1L, "text_delta"), (1_000_001L, "attempt"), (1_000_002L, "completed")], events.Select(e => (e.Sequence, e.Type)));
    }
}
