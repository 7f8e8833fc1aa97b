using Workers.Families;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>The lease ladder (<c>specs/pool.md</c>): the conversation's bound process, else a ready process, else a
/// cold spawn — with resume arguments where resume is a launch flag.</summary>
public sealed partial class AgentPool
{
    /// <summary>Lends a process to a turn. A cold lease returns as soon as the process is spawned: its readiness is
    /// part of the turn's <c>cli_ready</c>.</summary>
    /// <exception cref="PoolExhaustedException">Nothing became available within <c>LeaseTimeout</c>.</exception>
    /// <exception cref="Processes.SpawnFailedException">A process had to be spawned and could not be.</exception>
    /// <exception cref="ObjectDisposedException">The pool is shutting down.</exception>
    public async Task<PoolLease> LeaseAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        Target.RecordArrival(Options.Adaptive.RateWindow);
        Counters.LeaseRequested();
        string? fallback = null;

        // Rung 1: the conversation's own process, if it still matches.
        if (request.ConversationId is { } conversation)
        {
            var bound = TakeBound(conversation, request, out fallback);
            if (bound is not null)
            {
                return Leased(new PoolLease(bound, StartKinds.Warm, FromBinding: true, null));
            }
        }

        // Rung 3 at once where resuming is a launch flag, or where the launch directory differs from the pool's.
        if (Traits.ResumesAtLaunch && request.ResumeSessionId is not null)
        {
            return Leased(await SpawnForTurnAsync(new LaunchRequest(request.WorkingDirectory, ResumeSessionId: request.ResumeSessionId),
                fallback ?? FallbackReasons.ResumeNeedsLaunch, cancellationToken));
        }

        if (!Traits.ServesManySessions && request.WorkingDirectory != Profile.DefaultWorkingDirectory)
        {
            return Leased(await SpawnForTurnAsync(new LaunchRequest(request.WorkingDirectory), fallback ?? FallbackReasons.WorkingDirectoryDiffers,
                cancellationToken));
        }

        // Rung 2: a ready process; else a new one if there is room; else the least recently used bound one; else wait.
        using var timeout = new CancellationTokenSource(Options.LeaseTimeout, _timeProvider);
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
                else if (TryTakeAtOnce(fallback) is { } taken)
                {
                    return Leased(taken);
                }

                if (await WaitForReadyOrWakeUpAsync(linked.Token) is { } next && TryClaimReady(next))
                {
                    return Leased(new PoolLease(next, StartKinds.Warm, FromBinding: false, fallback));
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

    /// <summary>Rung 2 without waiting: a ready process, else a new one if there is room, else the least recently
    /// used bound one (handed over for ACP, retired to make room otherwise).</summary>
    private PoolLease? TryTakeAtOnce(string? fallback)
    {
        while (true)
        {
            while (_ready.Reader.TryRead(out var candidate))
            {
                if (candidate is not null && TryClaimReady(candidate))
                {
                    return new PoolLease(candidate, StartKinds.Warm, FromBinding: false, fallback);
                }
            }

            bool reserved;
            lock (_lock)
            {
                reserved = TryReserveSlot_NeedsLock();
            }

            if (reserved)
            {
                return LaunchReserved(PoolLaunch() with { PresetSessionId = null }, fallback ?? FallbackReasons.NoReadyProcess);
            }

            if (TakeLeastRecentlyUsedBound() is not { } evicted)
            {
                return null;
            }

            // A process that serves many sessions is handed over warm (its old session stays resumable); one that holds
            // a single session fixed at launch is retired, which frees a slot for a cold start.
            if (Traits.ServesManySessions && evicted.IsUsable)
            {
                Counters.Retired(RetireReason.Evicted);
                return new PoolLease(evicted, StartKinds.Warm, FromBinding: false, fallback ?? FallbackReasons.TookOverLruSession);
            }

            Retire(evicted, RetireReason.Evicted);
        }
    }

    private PoolLease Leased(PoolLease lease)
    {
        if (lease.ProcessKind == StartKinds.Warm)
        {
            Counters.WarmLease();
        }

        return lease;
    }

    private PooledProcess? TakeBound(string conversation, LeaseRequest request, out string? fallback)
    {
        PooledProcess? process;
        lock (_lock)
        {
            if (!_bound.Remove(conversation, out process))
            {
                fallback = null;
                return null;
            }

            // The binding matches only for the same settings, directory and session.
            var matches = process.Digest == request.Digest
                && process.Connection.SessionWorkingDirectory == request.WorkingDirectory
                && (request.ResumeSessionId is null || request.ResumeSessionId == process.Connection.SessionId);
            if (matches && process.State == PoolProcessState.Bound && process.IsUsable)
            {
                process.State = PoolProcessState.Leased;
                fallback = null;
                return process;
            }

            fallback = matches ? FallbackReasons.BoundProcessGone : FallbackReasons.BoundSessionMismatch;
        }

        Retire(process, process.IsUsable ? RetireReason.Forgotten : RetireReason.Crashed);
        return null;
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

    /// <summary>Rung 3: spawns a process for this turn, waiting for capacity (evicting the least recently used bound
    /// process first) when the pool is full.</summary>
    private async Task<PoolLease> SpawnForTurnAsync(LaunchRequest launch, string fallback, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Options.LeaseTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1 || _draining, this);
                bool reserved;
                lock (_lock)
                {
                    reserved = TryReserveSlot_NeedsLock();
                }

                if (reserved)
                {
                    return LaunchReserved(launch, fallback);
                }

                if (TakeLeastRecentlyUsedBound() is { } evicted)
                {
                    Retire(evicted, RetireReason.Evicted);
                    continue;
                }

                // Full of leased processes: wait for a slot (a null wake-up) or for an idle ready one to retire.
                if (_ready.Reader.TryRead(out var idle) && idle is not null && TryClaimReady(idle))
                {
                    Retire(idle, RetireReason.Evicted);
                    continue;
                }

                if (await WaitForReadyOrWakeUpAsync(linked.Token) is { } next && TryClaimReady(next))
                {
                    Retire(next, RetireReason.Evicted);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw Exhausted();
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

    private PoolLease LaunchReserved(LaunchRequest launch, string fallback)
    {
        PooledProcess process;
        try
        {
            process = Launch(launch);
        }
        catch
        {
            lock (_lock)
            {
                _reservedSlots--;
            }

            _ready.Writer.TryWrite(null);
            throw;
        }

        lock (_lock)
        {
            process.State = PoolProcessState.Leased;
        }

        return new PoolLease(process, StartKinds.Cold, FromBinding: false, fallback);
    }

    /// <summary>Takes back a leased process: binds it to the conversation whose session it now holds, returns it to
    /// the ready channel, or retires it (failed turn, one-shot family, turn or age limit, draining).</summary>
    public void Release(PoolLease lease, string? bindToConversation, string? digest, bool retire)
    {
        var process = lease.Process;
        string? reason = null;
        PooledProcess? displaced = null;
        lock (_lock)
        {
            if (process.State == PoolProcessState.Retired)
            {
                return;
            }

            reason = retire ? RetireReason.TurnFailed
                : !process.IsUsable ? RetireReason.Crashed
                : !Traits.ServesManyTurns || process.Connection.TurnsServed >= Options.MaxTurnsPerProcess ? RetireReason.Recycled
                : IsExpired_NeedsLock(process) ? RetireReason.Lifetime
                : _draining || process.RetireWhenReleased ? RetireReason.Drained
                : null;
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
                    if (Volatile.Read(ref _waiters) > 0)
                    {
                        // A waiting turn may take this process over (least recently used) or evict it: wake one.
                        _ready.Writer.TryWrite(null);
                    }
                }
                else if (Traits.ServesManySessions)
                {
                    // A turn without a conversation leaves nothing worth keeping but a warm process that can open another session.
                    process.Conversation = null;
                    process.State = PoolProcessState.Ready;
                    _readyCount++;
                    _ready.Writer.TryWrite(process);
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

    private bool IsExpired_NeedsLock(PooledProcess process) =>
        _timeProvider.GetUtcNow() - process.StartedAt >= process.Lifetime;

    /// <summary>Opens a session on a ready process ahead of demand, where the family can.</summary>
    private async Task PreopenAsync(PooledProcess process, CancellationToken cancellationToken)
    {
        if (Options.PrewarmSession && Traits.PreopensSessions)
        {
            await process.Connection.PreopenSessionAsync(Profile.DefaultWorkingDirectory, cancellationToken);
        }
    }
}
