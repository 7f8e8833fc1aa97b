using Workers.Turns;

namespace Workers.Running;

/// <summary>Runs one turn to its end: the seam between the dispatcher and the pool, so the dispatcher can be tested
/// with a runner the test controls. <see cref="PooledTurnRunner"/> is the service's.</summary>
public interface ITurnRunner
{
    /// <summary>Runs the turn, emitting its events to <paramref name="sink"/> and, last, exactly one terminal event.</summary>
    /// <param name="request">The turn.</param>
    /// <param name="sink">Where its events go, numbered after <paramref name="firstSequence"/>.</param>
    /// <param name="cancellationToken">Stops the turn the family's way; it then ends cancelled.</param>
    /// <param name="firstSequence">The last sequence already used: the turn's events are numbered after it.</param>
    Task<TurnResult> RunAsync(TurnRequest request, ITurnEventSink sink, CancellationToken cancellationToken, long firstSequence = 0);
}
