using Workers.Families;

namespace Workers.Pooling;

/// <summary>Rung 2, its first choice: a ready process from the channel. An entry may be stale (the process was retired meanwhile) or
/// unusable (exited, SIGSTOPped, past its lifetime): it is skipped, and the unusable one retired, so a turn is never
/// handed a process that cannot answer.</summary>
public sealed partial class AgentPool
{
    /// <summary>The first ready process the sets a turn for <paramref name="workingDirectory"/> may use hold now, claimed for
    /// it; null when none does.</summary>
    private PooledProcess? TakeReadyAtOnce(string workingDirectory)
    {
        foreach (var set in ReadySetsFor(workingDirectory))
        {
            if (TakeReadyFrom(set) is { } process)
            {
                return process;
            }
        }

        return null;
    }

    /// <summary>The first ready process the set's channel holds now, claimed; null when none is.</summary>
    private PooledProcess? TakeReadyFrom(WarmSet set)
    {
        while (set.Ready.Reader.TryRead(out var candidate))
        {
            if (candidate is not null && TryClaimReady(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A ready process now, for a <see cref="LeaseRequest.ReadyOnly"/> lease: none while producers' turns wait for
    /// one (they were first), none when a launch would be needed, and no spawn or take-over in its place. Only from the set
    /// of the turn's own directory: another directory's prewarm is not spent on it.</summary>
    private PoolLease TakeReadyOnly(LeaseRequest request)
    {
        if (WaitingTurns == 0 && NeedsLaunchForTurn(request) is null
            && SetFor(request.WorkingDirectory) is { } set && TakeReadyFrom(set) is { } process)
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
                process.Set.ReadyCount--;
                return true;
            }
        }

        Retire(process, usable ? RetireReason.Lifetime : RetireReason.Killed);
        return false;
    }
}
