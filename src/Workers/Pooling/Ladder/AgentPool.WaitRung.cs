using Workers.Families;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>Rung 2 and its wait: a ready process, else a new one in a free slot, else the least recently used bound one,
/// else wait — as a counted waiter, first come first served — until one of those frees up or <c>LeaseTimeout</c> passes.</summary>
public sealed partial class AgentPool
{
    /// <param name="fallback">Why the turn is not served by its bound process, if it is not.</param>
    /// <param name="filesOf">In conversation isolation, the conversation whose files a process launched here starts with.</param>
    /// <param name="cancellationToken">The turn's.</param>
    private async Task<PoolLease> TakeOrWaitAsync(string? fallback, string? filesOf, CancellationToken cancellationToken)
    {
        using var timeout = TimerDelay.CancelAfter(Options.LeaseTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // Turns already waiting go first: a newcomer queues behind them instead of taking what frees up.
            var mayTakeAtOnce = Volatile.Read(ref _waiters) == 0;
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1 || _draining, this);
                if (!mayTakeAtOnce)
                {
                    mayTakeAtOnce = true;
                }
                else if (TryTakeAtOnce(fallback, filesOf) is { } taken)
                {
                    return taken;
                }

                if (await WaitForReadyOrWakeUpAsync(linked.Token) is { } next && TryClaimReady(next))
                {
                    return new PoolLease(next, StartKinds.Warm, FromBinding: false, fallback);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Exhausted();
        }
        finally
        {
            Replenish();
        }
    }

    /// <summary>Rung 2 without waiting, in order: ready, new in a free slot, the least recently used bound one.</summary>
    private PoolLease? TryTakeAtOnce(string? fallback, string? filesOf)
    {
        while (true)
        {
            if (TakeReadyAtOnce() is { } ready)
            {
                return new PoolLease(ready, StartKinds.Warm, FromBinding: false, fallback);
            }

            if (TryLaunchInFreeSlot(PoolLaunch() with { PresetSessionId = null }, fallback ?? FallbackReasons.NoReadyProcess, filesOf) is { } cold)
            {
                return cold;
            }

            if (!TryFreeLeastRecentlyUsed(fallback, out var handedOver))
            {
                return null;
            }

            if (handedOver is not null)
            {
                return handedOver;
            }
        }
    }

    /// <summary>Waits, as a counted waiter (refill and bindings wake waiters), for the next ready process or wake-up (null).</summary>
    private async Task<PooledProcess?> WaitForReadyOrWakeUpAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private PoolExhaustedException Exhausted()
    {
        Counters.LeaseTimedOut();
        return new PoolExhaustedException(Name, Options.MaxProcesses, Options.LeaseTimeout);
    }
}
