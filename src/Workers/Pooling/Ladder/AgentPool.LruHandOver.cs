using Workers.Families;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>When nothing is ready and no slot is free, the least recently used bound session gives way (bound processes
/// count against capacity): its session stays resumable from the durable record.</summary>
public sealed partial class AgentPool
{
    /// <summary>Frees the least recently used bound process for this turn. A process that serves many sessions is
    /// handed over warm (<paramref name="handedOver"/>); one that holds a single session fixed at launch is retired, which
    /// frees a slot for a cold start. False when no process is bound.</summary>
    private bool TryFreeLeastRecentlyUsed(string? fallback, out PoolLease? handedOver)
    {
        handedOver = null;
        if (TakeLeastRecentlyUsedBound() is not { } evicted)
        {
            return false;
        }

        // In conversation isolation a process that served one conversation never serves another.
        if (Traits.ServesManySessions && evicted.IsUsable && _handOver is null)
        {
            Counters.Retired(RetireReason.Evicted);
            handedOver = new PoolLease(evicted, StartKinds.Warm, FromBinding: false, fallback ?? FallbackReasons.TookOverLruSession);
            return true;
        }

        Retire(evicted, RetireReason.Evicted);
        return true;
    }

    private PooledProcess? TakeLeastRecentlyUsedBound()
    {
        lock (_lock)
        {
            var oldest = _bound.Values.Where(p => p.State == PoolProcessState.Bound).MinBy(p => p.LastUsed);
            if (oldest is null)
            {
                return null;
            }

            _bound.Remove(oldest.Conversation!);
            oldest.Conversation = null;
            oldest.State = PoolProcessState.Leased;
            return oldest;
        }
    }
}
