using Workers.Families;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>Rung 2 and its wait: a ready process, else a new one in a free slot, else (a full pool) another directory's idle
/// ready process retired for the slot, else the least recently used bound one, else wait — as a counted waiter on the
/// directory's warm set, first come first served — until one of those frees up or <c>LeaseTimeout</c> passes.</summary>
public sealed partial class AgentPool
{
    /// <param name="workingDirectory">The turn's.</param>
    /// <param name="fallback">Why the turn is not served by its bound process, if it is not.</param>
    /// <param name="filesOf">In conversation isolation, the conversation whose files a process launched here starts with.</param>
    /// <param name="cancellationToken">The turn's.</param>
    private async Task<PoolLease> TakeOrWaitAsync(string workingDirectory, string? fallback, string? filesOf, CancellationToken cancellationToken)
    {
        var home = HomeSetFor(workingDirectory);
        using var timeout = TimerDelay.CancelAfter(Options.LeaseTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        home.AddQueued();
        try
        {
            // Turns already waiting go first: a newcomer queues behind them instead of taking what frees up.
            var mayTakeAtOnce = home.Waiters == 0;
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1 || _draining, this);
                if (!mayTakeAtOnce)
                {
                    mayTakeAtOnce = true;
                }
                else if (TryTakeAtOnce(home, workingDirectory, fallback, filesOf) is { } taken)
                {
                    return taken;
                }

                if (await WaitForReadyOrWakeUpAsync(home, linked.Token) is { } next && TryClaimReady(next))
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
            home.RemoveQueued();
            Replenish();
        }
    }

    /// <summary>Rung 2 without waiting, in order: ready, new in a free slot, another directory's idle ready one retired for
    /// its slot, the least recently used bound one.</summary>
    private PoolLease? TryTakeAtOnce(WarmSet home, string workingDirectory, string? fallback, string? filesOf)
    {
        while (true)
        {
            if (TakeReadyAtOnce(workingDirectory) is { } ready)
            {
                return new PoolLease(ready, StartKinds.Warm, FromBinding: false, fallback);
            }

            if (TryLaunchInFreeSlot(new LaunchRequest(home.Directory), fallback ?? FallbackReasons.NoReadyProcess, filesOf) is { } cold)
            {
                return cold;
            }

            if (TryEvictReadyOfOtherSet(home))
            {
                continue;
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

    /// <summary>Waits, as a counted waiter of the set (refill and bindings wake waiters), for the set's next ready process or
    /// a wake-up (null).</summary>
    private static async Task<PooledProcess?> WaitForReadyOrWakeUpAsync(WarmSet set, CancellationToken cancellationToken)
    {
        set.AddWaiter();
        try
        {
            return await set.Ready.Reader.ReadAsync(cancellationToken);
        }
        finally
        {
            set.RemoveWaiter();
        }
    }

    private PoolExhaustedException Exhausted()
    {
        Counters.LeaseTimedOut();
        return new PoolExhaustedException(Name, Options.MaxProcesses, Options.LeaseTimeout);
    }
}
