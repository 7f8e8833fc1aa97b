using Workers.Processes;

namespace Workers.Pooling;

/// <summary>Keeping the ready target: driven by leases and exits (every lease, release and exit calls
/// <see cref="Replenish"/>), not by a timer. A failed start backs off exponentially; only the backoff uses a timer. A start
/// killed from outside (or found stopped) is not the CLI's failure: it is counted apart and replaced at once.</summary>
public sealed partial class AgentPool
{
    /// <summary>How long a failed start waits for the process's exit code: its output ends a moment before the exit is reaped.</summary>
    private static readonly TimeSpan ExitAfterFailedStart = TimeSpan.FromSeconds(1);

    private readonly ITimer _startBackoffTimer;
    private int _consecutiveStartFailures;
    private long _nextStartAllowed;

    /// <summary>Starts processes until ready + starting reaches the target of every warm set, within the start and capacity
    /// limits, the set furthest below its target first. A set is started for only in a slot that no turn queued on another
    /// set may need: a freed slot goes to the waiting turn, not to another directory's prewarm.</summary>
    public void Replenish()
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        var targets = _sets.Select(TargetOf).ToArray();
        var starts = new List<WarmSet>();
        lock (_lock)
        {
            if (_draining)
            {
                return;
            }

            var now = _timeProvider.GetTimestamp();
            if (_nextStartAllowed > now)
            {
                return;
            }

            var queued = _sets.Sum(s => s.Queued);
            var starting = _sets.Sum(s => s.Starting);
            while (starting < Options.MaxConcurrentStarts && FurthestBelowTarget_NeedsLock(targets, queued) is { } set
                && TryReserveSlot_NeedsLock())
            {
                set.Starting++;
                starting++;
                starts.Add(set);
            }
        }

        foreach (var set in starts)
        {
            _ = StartForPoolAsync(set);
        }
    }

    /// <summary>The set with the largest shortfall (target − ready − starting), the first on a tie, among those whose start
    /// leaves a free slot for every turn queued on the other sets; null when none.</summary>
    private WarmSet? FurthestBelowTarget_NeedsLock(int[] targets, int queued)
    {
        var free = Options.MaxProcesses - _processes.Count - _reservedSlots;
        WarmSet? furthest = null;
        var largest = 0;
        for (var i = 0; i < _sets.Length; i++)
        {
            var set = _sets[i];
            var shortfall = targets[i] - set.ReadyCount - set.Starting;
            if (shortfall > largest && free > queued - set.Queued)
            {
                (furthest, largest) = (set, shortfall);
            }
        }

        return furthest;
    }

    /// <summary>The target the pool fills to now: the sum of its sets' targets.</summary>
    public int CurrentTarget => _sets.Sum(TargetOf);

    private async Task StartForPoolAsync(WarmSet set)
    {
        PooledProcess? process = null;
        var started = _timeProvider.GetTimestamp();
        try
        {
            process = Launch(PoolLaunch(set));
            using var timeout = TimerDelay.CancelAfter(Options.StartTimeout, _timeProvider);
            try
            {
                await process.Connection.WaitReadyAsync(timeout.Token);
                await PreopenAsync(process, set.Directory, timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"Not ready within {Options.StartTimeout} (Pool:StartTimeout).");
            }

            var warmup = _timeProvider.GetElapsedTime(started);
            process.Warmup = warmup;
            set.Target.RecordWarmup(warmup);
            bool ready;
            lock (_lock)
            {
                set.Starting--;
                _consecutiveStartFailures = 0;
                StartSucceeded_NeedsLock();
                ready = process.State == PoolProcessState.Starting;
                if (ready)
                {
                    PutReady_NeedsLock(process);
                    set.HasWarmedUp |= set.ReadyCount >= MinReadyOf(set);
                }
            }

            ProcessStartCompleted?.Invoke(warmup, "ready");
            Log.Ready(_logger, Name, process.Id, process.ProcessId, warmup.TotalMilliseconds);
        }
        catch (Exception ex)
        {
            var reason = ex is TimeoutException ? RetireReason.StartTimeout
                : await KilledWhileStartingAsync(process) ? RetireReason.StartKilled
                : RetireReason.StartFailed;
            var backoff = EndFailedStart(set, process, reason, ex);
            ProcessStartCompleted?.Invoke(_timeProvider.GetElapsedTime(started), reason);
            if (process is not null)
            {
                Retire(process, reason);
            }
            else
            {
                WakeWaiters();
            }

            if (backoff is { } wait)
            {
                Log.StartFailed(_logger, Name, reason, wait.TotalSeconds, ex.Message);
                // Not a tight respawn loop: the next start waits out the backoff.
                _startBackoffTimer.Change(wait, Timeout.InfiniteTimeSpan);
                return;
            }

            Log.StartKilled(_logger, Name, ex.Message);
        }

        Replenish();
    }

    /// <summary>Gives back the start's slot and counts the failure; returns the backoff before the next start, or null for
    /// a start that was killed (the backoff is for a CLI that cannot start, not for a kill from outside).</summary>
    private TimeSpan? EndFailedStart(WarmSet set, PooledProcess? process, string reason, Exception failure)
    {
        var killed = reason == RetireReason.StartKilled;
        TimeSpan? backoff = null;
        lock (_lock)
        {
            set.Starting--;
            if (process is null)
            {
                _reservedSlots--;
            }

            if (!killed)
            {
                StartFailed_NeedsLock(reason, failure);
                _consecutiveStartFailures++;
                var exponent = Math.Min(_consecutiveStartFailures - 1, 16);
                var wait = TimeSpan.FromTicks(Math.Min(Options.StartBackoff.Ticks << exponent, Options.StartBackoffMax.Ticks));
                _nextStartAllowed = _timeProvider.GetTimestamp() + (long)(wait.TotalSeconds * _timeProvider.TimestampFrequency);
                backoff = wait;
            }
        }

        if (killed)
        {
            Counters.StartKilled();
        }
        else
        {
            Counters.StartFailed();
        }

        return backoff;
    }

    /// <summary>True when the starting process was killed from outside (<see cref="OutsideKill"/>) rather than failing on its own.</summary>
    private async Task<bool> KilledWhileStartingAsync(PooledProcess? process)
    {
        if (process is null)
        {
            return false;
        }

        var agent = process.Connection.Process;
        try
        {
            return OutsideKill.Applies(agent, await agent.Exited.WaitAsync(ExitAfterFailedStart, _timeProvider));
        }
        catch (TimeoutException)
        {
            // Still running: it failed its readiness some other way (a protocol error).
            return false;
        }
    }

    /// <summary>Opens a session in its set's directory on a ready process ahead of demand, where the family can.</summary>
    private async Task PreopenAsync(PooledProcess process, string directory, CancellationToken cancellationToken)
    {
        if (Options.PrewarmSession && Traits.PreopensSessions)
        {
            await process.Connection.PreopenSessionAsync(directory, cancellationToken);
        }
    }
}
