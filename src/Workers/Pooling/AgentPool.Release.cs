namespace Workers.Pooling;

/// <summary>The end of a lease and the bindings it leaves: a process whose turn succeeded in a conversation stays bound
/// to it (rung 1 of the next turn), an ACP process without a conversation goes back to ready, the rest retire.</summary>
public sealed partial class AgentPool
{
    /// <summary>Takes back a leased process: binds it to the conversation whose session it now holds, returns it to
    /// the ready channel, or retires it (failed turn, one-shot family, turn or age limit, draining, or
    /// <paramref name="retireAs"/>: retired for that reason once its turn did not fail it).</summary>
    public void Release(PoolLease lease, string? bindToConversation, string? digest, bool retire, string? retireAs = null)
    {
        var process = lease.Process;
        string? reason = null;
        PooledProcess? displaced = null;
        // A look at /proc for every process of its group: outside the lock.
        var usable = process.IsUsable;
        lock (_lock)
        {
            if (process.State == PoolProcessState.Retired)
            {
                return;
            }

            reason = process.Connection.Process.WasStopped ? RetireReason.Killed
                : retire ? RetireReason.TurnFailed
                : !usable ? RetireReason.Crashed
                : retireAs is not null ? retireAs
                : !Traits.ServesManyTurns || process.Connection.TurnsServed >= Options.MaxTurnsPerProcess ? RetireReason.Recycled
                : IsExpired_NeedsLock(process) ? RetireReason.Lifetime
                : _draining || process.RetireWhenReleased ? RetireReason.Drained
                : null;
            if (!retire)
            {
                StartSucceeded_NeedsLock();
            }

            if (reason is null)
            {
                process.LastUsed = _timeProvider.GetTimestamp();
                if (bindToConversation is not null)
                {
                    if (_bound.TryGetValue(bindToConversation, out var other) && !ReferenceEquals(other, process))
                    {
                        displaced = other;
                    }

                    _bound[bindToConversation] = process;
                    process.Conversation = bindToConversation;
                    process.Digest = digest;
                    process.State = PoolProcessState.Bound;
                    if (WaitingTurns > 0)
                    {
                        // A waiting turn may take this process over (least recently used) or evict it: wake them.
                        WakeWaiters();
                    }
                }
                else if (_handOver is not null)
                {
                    reason = RetireReason.Isolated;
                }
                else if (Traits.ServesManySessions)
                {
                    // A turn without a conversation leaves nothing worth keeping but a warm process that can open another
                    // session: back to the set it was launched for.
                    process.Conversation = null;
                    PutReady_NeedsLock(process);
                }
                else
                {
                    reason = RetireReason.Recycled;
                }
            }
        }

        if (displaced is not null)
        {
            Retire(displaced, RetireReason.Forgotten);
        }

        if (reason is not null)
        {
            Retire(process, reason);
        }

        Replenish();
    }

    /// <summary>The conversations whose live session is bound to a process of this pool.</summary>
    public IReadOnlyCollection<string> BoundConversations()
    {
        lock (_lock)
        {
            return [.. _bound.Keys];
        }
    }

    /// <summary>Frees a conversation's bound process (its session stays resumable from the durable record).</summary>
    public void ForgetConversation(string conversation)
    {
        PooledProcess? process;
        lock (_lock)
        {
            _bound.TryGetValue(conversation, out process);
        }

        if (process is not null)
        {
            Retire(process, RetireReason.Forgotten);
            Replenish();
        }
    }
}
