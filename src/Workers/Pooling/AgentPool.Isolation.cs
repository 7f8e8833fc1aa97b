using Workers.Isolation;
using Workers.Processes;

namespace Workers.Pooling;

/// <summary>Conversation isolation in the pool (<c>specs/isolation.md</c>): every process has a slot; a leased process gets its
/// turn's conversation files before the turn starts, keeps them while bound, and gives them back when it exits. A process that
/// held one conversation is never handed to another (retired instead), because its memory and its <c>/tmp</c> still hold the
/// first.</summary>
public sealed partial class AgentPool
{
    /// <summary>True when the profile isolates conversations.</summary>
    public bool IsolatesConversations => _handOver is not null;

    /// <summary>In conversation isolation, the files of the profile's conversations; null otherwise.</summary>
    public ConversationHandOver? HandOver => _handOver;

    /// <summary>Waits (within <c>LeaseTimeout</c>) until no process holds the conversation's files.</summary>
    /// <exception cref="ConversationStateUnavailableException">They were not given back in time, or could not be.</exception>
    private async Task WaitUntilAtRestAsync(string conversation, CancellationToken cancellationToken)
    {
        using var timeout = TimerDelay.CancelAfter(Options.LeaseTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _handOver!.WaitAtRestAsync(conversation, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ConversationStateUnavailableException(
                $"The conversation's files were still held by an exiting process of profile '{Name}' after LeaseTimeout ({Options.LeaseTimeout}).");
        }
    }

    /// <summary>Why the leased process cannot take the conversation's files at rest and a process must be launched with them
    /// instead; null when it can (or there is nothing to bring). A family whose process fixes its working directory at launch
    /// (Claude, codex) keeps the fresh workspace as its cwd; an agent holding files open in its fresh HOME (opencode's
    /// database) would go on using those.</summary>
    private string? ColdHandOverReason(PoolLease lease, LeaseRequest request)
    {
        if (_handOver is null || request.FilesOf is not { } conversation || lease.Process.Launch.Slot is not { } slot
            || slot.OwnerKey == ConversationFiles.KeyOf(conversation) || !_handOver.HasFilesAtRest(conversation))
        {
            return null;
        }

        return !Traits.ServesManySessions ? Turns.FallbackReasons.IsolationNeedsLaunch
            : SandboxedGroup.HoldsOpenUnder(lease.Process.ProcessId, ProcessSlot.ConversationMount) ? Turns.FallbackReasons.StateOpen
            : null;
    }

    /// <summary>Puts a leased process that held no conversation back among the ready ones; one that did is retired.</summary>
    private void GiveBackUnused(PoolLease lease)
    {
        var process = lease.Process;
        lock (_lock)
        {
            if (process.State == PoolProcessState.Leased && process.Launch.Slot?.OwnerKey is null && lease.ProcessKind == Families.StartKinds.Warm)
            {
                PutReady_NeedsLock(process);
                return;
            }
        }

        Retire(process, RetireReason.Isolated);
    }

    /// <summary>Brings the turn's conversation files into the leased process's slot (a rename or two); a process whose slot
    /// cannot take them is retired and the turn fails <c>state_unavailable</c>.</summary>
    private PoolLease BringConversationIn(PoolLease lease, LeaseRequest request)
    {
        if (_handOver is null || request.FilesOf is not { } conversation || lease.Process.Launch.Slot is not { } slot)
        {
            return lease;
        }

        try
        {
            _handOver.BringIn(slot, conversation);
            return lease;
        }
        catch (ConversationStateUnavailableException)
        {
            Release(lease, null, null, retire: true);
            throw;
        }
    }
}
