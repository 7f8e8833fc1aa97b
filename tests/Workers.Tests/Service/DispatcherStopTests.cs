using Workers.Store;
using Workers.Tests.Service.Scripted;
using Workers.Turns;

namespace Workers.Tests.Service;

/// <summary>Stopping the <see cref="Workers.Service.Dispatcher"/>: running turns drain up to the drain deadline; past
/// it they are cancelled and their leases handed back for the next run of the service.</summary>
public sealed class DispatcherStopTests
{
    [Fact]
    public async Task StopAsync_LetsARunningTurnFinish_WithinTheDrainDeadline()
    {
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");

        // The fake clock stands still: the drain deadline cannot pass, so the stop waits for the turn.
        var stopping = fixture.Dispatcher.StopAsync(TestContext.Current.CancellationToken);
        Assert.False(stopping.IsCompleted);
        turn.Succeed();
        await Bounded.WaitAsync(stopping);

        Assert.Equal(TurnState.Succeeded, (await fixture.GetAsync("t1")).State);
        Assert.False(turn.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task StopAsync_PastTheDrainDeadline_CancelsTheTurn_AndHandsBackItsLease()
    {
        // Arrange
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        turn.Emit(new TextDelta("partial"));

        // Act
        await StopPastTheDrainDeadlineAsync(fixture, turn);

        // Assert: still running but its lease expired, its events so far kept, no end written; claimable as attempt 2.
        var stored = await fixture.GetAsync("t1");
        Assert.Equal((TurnState.Running, 1), (stored.State, stored.Attempts));
        Assert.True(stored.LeaseExpiresAt < fixture.Time.GetUtcNow());
        Assert.Equal(["text_delta"], (await fixture.EventsAsync("t1")).Select(e => e.Type));
        var run = Assert.Single(await fixture.Store.ListRunsAsync("t1", TestContext.Current.CancellationToken));
        Assert.Equal((1, RunOutcomes.Running, (DateTimeOffset?)null), (run.Attempt, run.Outcome, run.FinishedAt));
        var again = await fixture.Store.ClaimAsync(new ClaimRequest("next-run", DispatcherFixture.LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), TestContext.Current.CancellationToken);
        Assert.Equal(("t1", 2), (again?.Turn.Id, again?.Turn.Attempts));
    }

    [Fact]
    public async Task StopAsync_PastTheDrainDeadline_AfterAToolUse_TheTurnIsNotStartedOverButFailed()
    {
        // Arrange: the turn let its agent use a tool (recorded before the tool ran), then the service stops past its drain.
        await using var fixture = await DispatcherFixture.CreateAsync();
        var turn = await fixture.StartWithQueuedAsync("t1");
        Assert.True(await turn.CommitToolUseAsync());
        await StopPastTheDrainDeadlineAsync(fixture, turn);

        // Act: the next run of the service claims.
        var next = await fixture.Store.ClaimAsync(new ClaimRequest("next-run", DispatcherFixture.LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow(), TestContext.Current.CancellationToken);

        // Assert: nothing to claim: the turn failed instead of running its tools a second time.
        Assert.Null(next);
        var stored = await fixture.GetAsync("t1");
        Assert.Equal((TurnState.Failed, FailureReasons.WorkerLostAfterToolUse, 1), (stored.State, stored.Reason, stored.Attempts));
    }

    /// <summary>Stops the dispatcher and moves the clock past the drain deadline (again, until the stop waits on it: it
    /// starts waiting a moment later), so the turn is cancelled and its lease handed back.</summary>
    private static async Task StopPastTheDrainDeadlineAsync(DispatcherFixture fixture, ScriptedTurn turn)
    {
        var stopping = fixture.Dispatcher.StopAsync(TestContext.Current.CancellationToken);
        await Bounded.UntilAsync(() =>
        {
            if (!turn.Token.IsCancellationRequested)
            {
                fixture.Time.Advance(DispatcherFixture.DrainDeadline);
            }

            return turn.Token.IsCancellationRequested;
        });
        await Bounded.WaitAsync(stopping);
    }
}
