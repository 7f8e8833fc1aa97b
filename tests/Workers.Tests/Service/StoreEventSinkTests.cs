using Microsoft.Data.Sqlite;
using Workers.Service;
using Workers.Store;
using Workers.Turns;
using static Workers.Tests.Service.SinkFixture;

namespace Workers.Tests.Service;

/// <summary>The event sink against a store that fails: retried writes from a bounded buffer, a turn stopped and failed
/// when the store stays down past the lease or the buffer fills, and that failure committed once the store answers.</summary>
public sealed class StoreEventSinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FailedWrite_IsRetriedWithBackoff_AndLaterEventsAreStoredWithoutFinishing()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        var start = fixture.Time.GetUtcNow();
        fixture.Store.FailNextWrites(3);

        sink.OnEvent(Text(1));
        await fixture.StepUntilAsync(() => fixture.Store.FailedAt.Count == 1);
        sink.OnEvent(Text(2));

        // The flush loop goes on after the failed writes, each try twice as far from the last: both events reach the
        // store while the turn still runs.
        await fixture.StepUntilAsync(async () => (await fixture.StoredAsync()).Count == 2);
        Assert.Equal([100.0, 200.0, 400.0], fixture.Store.FailedAt.Select(at => (at - start).TotalMilliseconds));
        Assert.Equal([1L, 2L], await fixture.StoredAsync());
        Assert.Equal([1L, 2L], fixture.ReceivedLive());
        Assert.False(sink.StoreUnavailable.IsCancellationRequested);
        Assert.False(sink.LeaseLost.IsCancellationRequested);
    }

    [Fact]
    public async Task StoreDownPastTheLease_StopsTheRun_AndItsFailureIsCommittedWhenTheStoreAnswers()
    {
        // Arrange
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        fixture.Store.FailNextWrites(int.MaxValue);

        // Act: the store refuses every write for a whole lease.
        sink.OnEvent(Text(1));
        await fixture.StepUntilAsync(() => sink.StoreUnavailable.IsCancellationRequested);
        var stoppedAt = fixture.Time.GetUtcNow();
        sink.OnEvent(Text(2));
        sink.OnEvent(new TurnCancelled("Stopped.") { Sequence = 3 });

        // Assert: stopped on a last try exactly a lease after the first refusal (the clock moves only to the sink's own
        // wake-ups, and not past the one that stopped it); the end is fixed after the last kept event.
        var firstRefusal = fixture.Store.FailedAt[0];
        Assert.Equal(firstRefusal + LeaseDuration, stoppedAt);
        Assert.Equal(firstRefusal + LeaseDuration, fixture.Store.FailedAt[^1]);
        Assert.Equal([1L], fixture.ReceivedLive());
        Assert.Equal((2L, "failed"), (sink.Terminal?.Sequence, sink.Terminal?.Type));
        var result = sink.ApplyFailure(CancelledResult());
        Assert.Equal((TurnStatus.Failed, FailureReasons.StoreUnavailable), (result.Status, result.Reason));
        Assert.False(sink.LeaseLost.IsCancellationRequested);

        // Act: the finish keeps trying while the store is down, and writes everything once it answers.
        var refusedBefore = fixture.Store.FailedAt.Count;
        var finishing = sink.FinishAsync(Ct);
        await fixture.StepUntilAsync(() => fixture.Store.FailedAt.Count >= refusedBefore + 3);
        Assert.False(finishing.IsCompleted);
        fixture.Store.FailNextWrites(0);
        await fixture.StepUntilAsync(() => finishing.IsCompleted);
        await finishing;
        await fixture.CompleteAsync(sink, result);

        // Assert
        var turn = await fixture.TurnAsync();
        Assert.Equal((TurnState.Failed, FailureReasons.StoreUnavailable), (turn.State, turn.Reason));
        Assert.Equal([1L, 2L], await fixture.StoredAsync());
    }

    [Fact]
    public async Task BufferFull_RefusesTheEvent_AndFailsTheTurn_KeepingEveryEventReadersSaw()
    {
        // Arrange: the store is down, so the events wait in the buffer.
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink(maxBufferedEvents: 5);
        fixture.Store.FailNextWrites(int.MaxValue);
        sink.OnEvent(Text(1));
        await fixture.StepUntilAsync(() => fixture.Store.FailedAt.Count == 1);

        // Act: a sixth event finds the buffer full.
        for (var sequence = 2; sequence <= 7; sequence++)
        {
            sink.OnEvent(Text(sequence));
        }

        // Assert: the run is told to stop; readers saw only what the sink kept; the end follows it.
        Assert.True(sink.StoreUnavailable.IsCancellationRequested);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], fixture.ReceivedLive());
        Assert.Equal((6L, "failed"), (sink.Terminal?.Sequence, sink.Terminal?.Type));
        var result = sink.ApplyFailure(CancelledResult());
        Assert.Equal((TurnStatus.Failed, FailureReasons.StoreUnavailable), (result.Status, result.Reason));
        Assert.Contains("5 events were waiting", result.Message, StringComparison.Ordinal);

        // Once the store answers, everything the readers saw is stored, then the failure.
        fixture.Store.FailNextWrites(0);
        await sink.FinishAsync(Ct);
        await fixture.CompleteAsync(sink, result);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], await fixture.StoredAsync());
        Assert.Equal(FailureReasons.StoreUnavailable, (await fixture.TurnAsync()).Reason);
    }

    /// <summary>A flood: the agent fills the buffer before the store's next flush, while the store answers every write. That is
    /// the agent's doing, not an outage: the turn fails <c>protocol_error</c>, so a hostile agent does not pass for a store
    /// that is down (<c>specs/security.md</c>, "Hostile agents"). It used to fail <c>store_unavailable</c>.</summary>
    [Fact]
    public async Task BufferFull_WhileTheStoreAnswers_FailsTheTurnAsTheAgentsFlood()
    {
        // Arrange: a working store; the clock does not move, so no flush comes between the events.
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink(maxBufferedEvents: 5);

        // Act
        for (var sequence = 1; sequence <= 7; sequence++)
        {
            sink.OnEvent(Text(sequence));
        }

        // Assert
        Assert.True(sink.StoreUnavailable.IsCancellationRequested);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], fixture.ReceivedLive());
        Assert.Equal((6L, "failed"), (sink.Terminal?.Sequence, sink.Terminal?.Type));
        var result = sink.ApplyFailure(CancelledResult());
        Assert.Equal((TurnStatus.Failed, FailureReasons.ProtocolError), (result.Status, result.Reason));
        Assert.StartsWith("The agent wrote events faster than the store took them: 5 events were waiting", result.Message,
            StringComparison.Ordinal);
        await sink.FinishAsync(Ct);
        await fixture.CompleteAsync(sink, result);
        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], await fixture.StoredAsync());
        Assert.Equal(FailureReasons.ProtocolError, (await fixture.TurnAsync()).Reason);
    }

    [Fact]
    public async Task Finish_StoreNeverAnswers_GivesUpAfterItsBound_LeavingTheTurnToTheClaimRule()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        fixture.Store.FailNextWrites(int.MaxValue);
        sink.OnEvent(Text(1));
        sink.OnEvent(new TurnCompleted("done", "end_turn") { Sequence = 2 });

        var finishing = sink.FinishAsync(Ct);
        await fixture.StepUntilAsync(() => finishing.IsCompleted);

        await Assert.ThrowsAsync<SqliteException>(() => finishing);
        Assert.Equal(new StoreEventSink.Limits(LeaseDuration).FinishOutageLimit, fixture.Store.FailedAt[^1] - fixture.Store.FailedAt[0]);
        // The runner's own end stands (it ended before the outage mattered), and the store still has the turn running:
        // its lease expires and a claim takes it again.
        Assert.Equal("completed", sink.Terminal?.Type);
        Assert.Equal(TurnState.Running, (await fixture.TurnAsync()).State);
        Assert.Empty(await fixture.StoredAsync());
    }

    [Fact]
    public async Task LeaseTakenByAnotherClaim_FiresLeaseLost_AndNothingMoreIsWritten()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        var later = fixture.Time.GetUtcNow() + LeaseDuration + TimeSpan.FromMilliseconds(1);
        Assert.NotNull(await fixture.Store.ClaimAsync(new ClaimRequest("other-worker", LeaseDuration, null, [], 3), later, Ct));

        sink.OnEvent(Text(1));
        await fixture.StepUntilAsync(() => sink.LeaseLost.IsCancellationRequested);

        await Assert.ThrowsAsync<LeaseLostException>(() => sink.FinishAsync(Ct));
        Assert.Empty(fixture.Store.FailedAt);
        Assert.Empty(await fixture.StoredAsync());
        Assert.False(sink.StoreUnavailable.IsCancellationRequested);
    }

    [Fact]
    public async Task FailStoreUnavailable_FromTheHeartbeat_FailsTheTurnAsTheSinkDoes_OnceOnly()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        sink.OnEvent(Text(1));

        Assert.True(sink.FailStoreUnavailable("No renewal for the lease."));
        Assert.False(sink.FailStoreUnavailable("Again."));
        sink.OnEvent(Text(2));

        Assert.True(sink.StoreUnavailable.IsCancellationRequested);
        Assert.Equal([1L], fixture.ReceivedLive());
        Assert.Equal((2L, "failed"), (sink.Terminal?.Sequence, sink.Terminal?.Type));
        Assert.Equal("No renewal for the lease.", sink.ApplyFailure(CancelledResult()).Message);
        await sink.FinishAsync(Ct);
        await fixture.CompleteAsync(sink, sink.ApplyFailure(CancelledResult()));
        Assert.Equal([1L, 2L], await fixture.StoredAsync());
        var turn = await fixture.TurnAsync();
        Assert.Equal((TurnState.Failed, FailureReasons.StoreUnavailable), (turn.State, turn.Reason));
    }

    [Fact]
    public async Task EventAfterTheTerminalEvent_IsNeitherSentNorStored()
    {
        // A killed process's reader may deliver a last line after the runner ended the turn (the chaos suite saw one stored
        // after the terminal event).
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        sink.OnEvent(Text(1));
        sink.OnEvent(new TurnCompleted("done", "end_turn") { Sequence = 2 });

        sink.OnEvent(Text(3));
        await sink.FinishAsync(Ct);

        Assert.Equal((2L, 2L), (sink.LastSequence, sink.Terminal?.Sequence));
        Assert.Equal([1L], fixture.ReceivedLive());
        Assert.Equal([1L], await fixture.StoredAsync());
    }
}
