using Workers.Families;
using Workers.Isolation;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>Cold spawns: a process launched for this turn. At once where only a launch can give the turn what it needs
/// (resume is a launch flag; a family whose process holds one session fixed at launch, asked for a directory no warm set
/// is kept for),
/// else as rung 2's fallback when no process is ready and a slot is free.</summary>
public sealed partial class AgentPool
{
    /// <summary>The launch a turn needs before any ready process could serve it, and why; null when a ready one can.</summary>
    private (LaunchRequest Request, string Reason)? NeedsLaunchForTurn(LeaseRequest request)
    {
        if (Traits.ResumesAtLaunch && request.ResumeSessionId is not null)
        {
            return (new LaunchRequest(request.WorkingDirectory, ResumeSessionId: request.ResumeSessionId), FallbackReasons.ResumeNeedsLaunch);
        }

        if (!Traits.ServesManySessions && SetFor(request.WorkingDirectory) is null)
        {
            return (new LaunchRequest(request.WorkingDirectory), FallbackReasons.WorkingDirectoryDiffers);
        }

        if (_handOver is not null && SetFor(request.WorkingDirectory) is null)
        {
            // A directory the turn named is bound into the sandbox when it starts: no ready process (launched for the
            // directory of its warm set) can see it.
            return (new LaunchRequest(request.WorkingDirectory), FallbackReasons.IsolationNeedsLaunch);
        }

        return null;
    }

    /// <summary>Spawns a process for this turn, waiting for capacity (evicting the least recently used bound process
    /// first, then an idle ready one) when the pool is full.</summary>
    private async Task<PoolLease> SpawnForTurnAsync(LaunchRequest launch, string fallback, string? filesOf, CancellationToken cancellationToken)
    {
        var home = HomeSetFor(launch.WorkingDirectory);
        using var timeout = TimerDelay.CancelAfter(Options.LeaseTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        home.AddQueued();
        try
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1 || _draining, this);
                if (TryLaunchInFreeSlot(launch, fallback, filesOf) is { } lease)
                {
                    return lease;
                }

                if (TakeLeastRecentlyUsedBound() is { } evicted)
                {
                    Retire(evicted, RetireReason.Evicted);
                    continue;
                }

                // Full of leased processes: wait for a slot (a null wake-up) or for an idle ready one to retire.
                if (TryEvictReadyOfOtherSet(home: null))
                {
                    continue;
                }

                if (await WaitForReadyOrWakeUpAsync(home, linked.Token) is { } next && TryClaimReady(next))
                {
                    Retire(next, RetireReason.Evicted);
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
        }
    }

    /// <summary>Launches a process for the turn if a capacity slot is free; null when the pool is full.</summary>
    private PoolLease? TryLaunchInFreeSlot(LaunchRequest launch, string fallback, string? filesOf = null)
    {
        lock (_lock)
        {
            if (!TryReserveSlot_NeedsLock())
            {
                return null;
            }
        }

        PooledProcess process;
        try
        {
            process = Launch(launch, filesOf);
        }
        catch (ConversationStateUnavailableException)
        {
            // Not the CLI's failure: no start backoff.
            lock (_lock)
            {
                _reservedSlots--;
            }

            WakeWaiters();
            throw;
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                _reservedSlots--;
                StartFailed_NeedsLock(RetireReason.StartFailed, ex);
            }

            WakeWaiters();
            throw;
        }

        lock (_lock)
        {
            process.State = PoolProcessState.Leased;
        }

        return new PoolLease(process, StartKinds.Cold, FromBinding: false, fallback);
    }
}
