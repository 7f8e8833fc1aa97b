namespace Workers.Pooling;

/// <summary>A process lent to one turn; give it back with <see cref="AgentPool.Release"/>.</summary>
/// <param name="Process">The process.</param>
/// <param name="ProcessKind"><c>warm</c> (ready or bound before the turn) or <c>cold</c> (spawned for it).</param>
/// <param name="FromBinding">True when it is the conversation's own bound process (rung 1).</param>
/// <param name="FallbackReason">Why the turn got a lower rung than it asked for.</param>
public sealed record PoolLease(PooledProcess Process, string ProcessKind, bool FromBinding, string? FallbackReason);
