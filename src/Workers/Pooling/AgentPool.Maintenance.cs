using Workers.Processes;

namespace Workers.Pooling;

/// <summary>What the reaper, operators and shutdown do to a pool.</summary>
public sealed partial class AgentPool
{
    /// <summary>Retires bound sessions idle past <c>SessionIdleTtl</c> and idle processes past their lifetime, turn
    /// count or memory limit, then refills. Called by the reaper job; returns how many processes it retired.</summary>
    public int Reap()
    {
        var overMemory = OverMemoryLimit();
        var now = _timeProvider.GetTimestamp();
        var retired = new List<(PooledProcess Process, string Reason)>();
        lock (_lock)
        {
            foreach (var process in _processes.ToList())
            {
                string? reason = process.State switch
                {
                    PoolProcessState.Bound when _timeProvider.GetElapsedTime(process.LastUsed, now) >= Options.SessionIdleTtl => RetireReason.Idle,
                    PoolProcessState.Ready or PoolProcessState.Bound when IsExpired_NeedsLock(process) => RetireReason.Lifetime,
                    PoolProcessState.Ready or PoolProcessState.Bound when process.Connection.TurnsServed >= Options.MaxTurnsPerProcess => RetireReason.Recycled,
                    PoolProcessState.Ready or PoolProcessState.Bound when overMemory.Contains(process) => RetireReason.Memory,
                    _ => null,
                };
                if (reason is not null && Retire_NeedsLock(process, reason))
                {
                    retired.Add((process, reason));
                }
            }
        }

        foreach (var (process, reason) in retired)
        {
            AfterRetire(process, reason);
        }

        Replenish();
        return retired.Count;
    }

    /// <summary>The idle processes whose tree is above <c>MaxProcessRssMiB</c>, read from <c>/proc</c> outside the lock. A
    /// process leased meanwhile is left alone: only an idle one is retired.</summary>
    private HashSet<PooledProcess> OverMemoryLimit()
    {
        if (Options.MaxProcessRssMiB is not { } limitMiB)
        {
            return [];
        }

        List<PooledProcess> idle;
        lock (_lock)
        {
            idle = [.. _processes.Where(p => p.State is PoolProcessState.Ready or PoolProcessState.Bound)];
        }

        var limit = limitMiB * 1024L * 1024L;
        return [.. idle.Where(p => ProcessMemory.ResidentBytesOfTree(p.ProcessId) > limit)];
    }

    /// <summary>Replaces every process with a fresh one: idle ones now, leased ones when their turn ends (e.g. after
    /// a CLI upgrade). Bound sessions stay resumable. Returns how many were retired at once.</summary>
    public int Drain()
    {
        var retired = new List<PooledProcess>();
        lock (_lock)
        {
            foreach (var process in _processes.ToList())
            {
                if (process.State is PoolProcessState.Ready or PoolProcessState.Bound)
                {
                    if (Retire_NeedsLock(process, RetireReason.Drained))
                    {
                        retired.Add(process);
                    }
                }
                else
                {
                    process.RetireWhenReleased = true;
                }
            }
        }

        foreach (var process in retired)
        {
            AfterRetire(process, RetireReason.Drained);
        }

        Replenish();
        return retired.Count;
    }

    /// <summary>A consistent view of the pool for the status page.</summary>
    public PoolSnapshot Snapshot()
    {
        var now = _timeProvider.GetUtcNow();
        lock (_lock)
        {
            var processes = _processes
                .Select(p => new PoolProcessSnapshot(p.Id, p.ProcessId, p.State, now - p.StartedAt, p.Connection.TurnsServed, p.Conversation is not null,
                    p.Warmup, p.WarmSetName))
                .ToList();
            var sets = WarmSetSnapshots_NeedsLock();
            return new PoolSnapshot(Name, Profile.Family, processes, _reservedSlots, sets.Sum(s => s.ReadyTarget), sets.Sum(s => s.MinReady),
                sets.Sum(s => s.MaxReady), Options.MaxProcesses, _bound.Count, WaitingTurns, sets.Sum(s => s.ArrivalRate),
                Counters.Read(), sets);
        }
    }

    /// <summary>Stops taking turns, waits up to <paramref name="drainDeadline"/> for running turns, then stops every
    /// process (stdin EOF, SIGTERM, SIGKILL to each group) in parallel. When <paramref name="cancellationToken"/> fires
    /// (the host gives up on a graceful stop) the drain ends at once and every group still running is SIGKILLed, so no
    /// agent outlives the service.</summary>
    public async Task StopAsync(TimeSpan drainDeadline, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _draining = true;
        }

        foreach (var set in _sets)
        {
            set.Ready.Writer.TryComplete();
        }

        var started = _timeProvider.GetTimestamp();
        try
        {
            while (_timeProvider.GetElapsedTime(started) < drainDeadline && HasLeased())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), _timeProvider, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host stops waiting: so does the drain.
        }

        List<PooledProcess> all;
        lock (_lock)
        {
            all = [.. _processes];
        }

        foreach (var process in all)
        {
            Retire(process, RetireReason.Shutdown);
        }

        Task[] stopping;
        lock (_lock)
        {
            stopping = [.. _stopping];
        }

        try
        {
            await Task.WhenAll(stopping).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // A graceful stop waits up to GracefulStop twice per process; the host will not.
            await Task.WhenAll(all.Select(p => p.Connection.Process.KillAsync()));
            await Task.WhenAll(stopping);
        }
    }

    private bool HasLeased()
    {
        lock (_lock)
        {
            return _processes.Exists(p => p.State == PoolProcessState.Leased);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        await StopAsync(TimeSpan.Zero);
        Interlocked.Exchange(ref _disposed, 1);
        await _startBackoffTimer.DisposeAsync();
        await _stoppedSweep.DisposeAsync();
    }
}
