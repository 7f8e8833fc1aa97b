using Workers.Service;
using Workers.Store;
using Workers.Turns;
using static Workers.Tests.Service.SinkFixture;

namespace Workers.Tests.Service;

/// <summary>The sink's commit point for tools (issue 11): the first tool use is recorded once, in its own write, before the
/// agent is let on; a store that cannot record it within the lease refuses the tool and fails the turn.</summary>
public sealed class StoreEventSinkToolUseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ToolUse_IsRecordedOnce_AndALaterClaimAfterThisWorkerWasLostFailsTheTurn()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();

        var first = sink.CommitToolUseAsync();
        var second = sink.CommitToolUseAsync();

        Assert.Same(first, second);
        Assert.True(await first);
        var next = await fixture.Store.ClaimAsync(new ClaimRequest("other-worker", LeaseDuration, null, [], 3),
            fixture.Time.GetUtcNow() + LeaseDuration + TimeSpan.FromSeconds(1), Ct);
        Assert.Null(next);
        Assert.Equal(FailureReasons.WorkerLostAfterToolUse, (await fixture.TurnAsync()).Reason);
    }

    [Fact]
    public async Task StoreDownForTheWholeLease_RefusesTheTool_AndFailsTheTurnStoreUnavailable()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        fixture.Store.FailNextWrites(int.MaxValue);

        var commit = sink.CommitToolUseAsync();
        await fixture.StepUntilAsync(() => commit.IsCompleted);

        // Assert: given up only once the store had failed for the whole lease. (Not at exactly that time: the clock also
        // steps to the flush loop's wake-ups, and may run ahead of a retry the thread pool has not run yet.)
        Assert.False(await commit);
        Assert.True(sink.StoreUnavailable.IsCancellationRequested);
        Assert.True(fixture.Store.FailedAt[^1] - fixture.Store.FailedAt[0] >= LeaseDuration);
        var result = sink.ApplyFailure(CancelledResult());
        Assert.Equal((TurnStatus.Failed, FailureReasons.StoreUnavailable), (result.Status, result.Reason));
    }

    [Fact]
    public async Task StoreBackWithinTheLease_RecordsTheToolUse()
    {
        // A lease of a day: however far the clock runs ahead of the retries (see above), the sink does not give up first.
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = new StoreEventSink(fixture.Store, fixture.Hub, fixture.Claimed.Lease, fixture.Time, FlushInterval, 0,
            new StoreEventSink.Limits(TimeSpan.FromDays(1)));
        fixture.Store.FailNextWrites(3);

        var commit = sink.CommitToolUseAsync();
        await fixture.StepUntilAsync(() => commit.IsCompleted);

        Assert.True(await commit);
        Assert.Equal(3, fixture.Store.FailedAt.Count);
        Assert.False(sink.StoreUnavailable.IsCancellationRequested);
    }

    [Fact]
    public async Task AfterTheTurnsEnd_NoToolIsLetOn()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        await using var sink = fixture.CreateSink();
        sink.OnEvent(new TurnCompleted("done", "end_turn") { Sequence = 1 });

        Assert.False(await sink.CommitToolUseAsync());
    }
}
