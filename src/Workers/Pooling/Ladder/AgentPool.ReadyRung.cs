using Workers.Families;

namespace Workers.Pooling;

/// <summary>Rung 2, its first choice: a ready process from the channel. An entry may be stale (the process was retired meanwhile) or
/// unusable (exited, SIGSTOPped, past its lifetime): it is skipped, and the unusable one retired, so a turn is never
/// handed a process that cannot answer.</summary>
public sealed partial class AgentPool
{
    /// <summary>The first ready process the channel holds now, claimed for a turn; null when none is.</summary>
    private PooledProcess? TakeReadyAtOnce()
    {
        while (_ready.Reader.TryRead(out var candidate))
        {
            if (candidate is not null && TryClaimReady(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A ready process now, for a <see cref="LeaseRequest.ReadyOnly"/> lease: none while producers' turns wait for
    /// one (they were first), none when a launch would be needed, and no spawn or take-over in its place.</summary>
    private PoolLease TakeReadyOnly(LeaseRequest request)
    {
        if (Volatile.Read(ref _waiters) == 0 && NeedsLaunchForTurn(request) is null && TakeReadyAtOnce() is { } process)
        {
            return new PoolLease(process, StartKinds.Warm, FromBinding: false, null);
        }

        throw new NoReadyProcessException(Name);
    }

    /// <summary>Claims a process read from the channel; a stale entry (no longer ready) or an unusable process
    /// (exited, SIGSTOPped) is skipped and the unusable one retired.</summary>
    private bool TryClaimReady(PooledProcess process)
    {
        var usable = process.IsUsable;
        lock (_lock)
        {
            if (process.State != PoolProcessState.Ready)
            {
                return false;
            }

            if (usable && !IsExpired_NeedsLock(process))
            {
                process.State = PoolProcessState.Leased;
                _readyCount--;
                return true;
            }
        }

        Retire(process, usable ? RetireReason.Lifetime : RetireReason.Killed);
        return false;
    }
}
