using Workers.Processes;

namespace Workers.Pooling;

/// <summary>Retirement: a process leaves the pool (exited, crashed, killed, aged, unneeded) and is stopped in the background,
/// its slot freed at once for a waiting turn.</summary>
public sealed partial class AgentPool
{
    private void OnExited(PooledProcess process)
    {
        bool retire;
        lock (_lock)
        {
            // A leased process's turn sees the exit itself and releases it; a starting one fails its start.
            retire = process.State is PoolProcessState.Ready or PoolProcessState.Bound;
        }

        if (retire)
        {
            // The sweep's kill of a stopped process may be seen here first.
            Retire(process, process.Connection.Process.WasStopped ? RetireReason.Killed : RetireReason.Crashed);
            Replenish();
        }
    }

    /// <summary>Takes the process out of the pool and stops it in the background.</summary>
    private void Retire(PooledProcess process, string reason)
    {
        lock (_lock)
        {
            if (!Retire_NeedsLock(process, reason))
            {
                return;
            }
        }

        AfterRetire(process, reason);
    }

    private bool Retire_NeedsLock(PooledProcess process, string reason)
    {
        if (process.State == PoolProcessState.Retired)
        {
            return false;
        }

        if (process.State == PoolProcessState.Ready)
        {
            process.Set.ReadyCount--;
        }

        if (process.Conversation is { } conversation && _bound.TryGetValue(conversation, out var bound) && ReferenceEquals(bound, process))
        {
            _bound.Remove(conversation);
        }

        process.State = PoolProcessState.Retired;
        process.RetireReason = reason;
        _processes.Remove(process);
        return true;
    }

    private void AfterRetire(PooledProcess process, string reason)
    {
        Log.Retired(_logger, Name, process.Id, process.ProcessId, reason);
        Counters.Retired(reason);
        // A slot is free: a turn waiting for capacity may now start a process.
        WakeWaiters();
        var stop = StopAsync(process, reason);
        lock (_lock)
        {
            _stopping.RemoveAll(t => t.IsCompleted);
            _stopping.Add(stop);
        }

        ProcessRetired?.Invoke(process, reason);
    }

    /// <summary>Asks the agent to free the process's sessions (ACP <c>session/close</c>), waiting at most
    /// <c>Timeouts.GracefulStop</c>: a session let go this way is ended by the agent in order (claude-agent-acp ends its
    /// Claude Code child) and stays resumable; an agent that does not answer in time is stopped anyway.</summary>
    private async Task CloseSessionsAsync(PooledProcess process)
    {
        using var grace = TimerDelay.CancelAfter(Profile.Options.Timeouts.GracefulStop, _timeProvider);
        try
        {
            await process.Connection.CloseSessionsAsync(grace.Token);
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested)
        {
            Log.SessionsNotClosed(_logger, Name, process.ProcessId, Profile.Options.Timeouts.GracefulStop.TotalSeconds);
        }
    }

    private async Task StopAsync(PooledProcess process, string reason)
    {
        try
        {
            if (reason == RetireReason.Killed || process.Connection.Process.KillIfStopped(Options.StoppedCheckInterval))
            {
                // A SIGSTOPped process ignores EOF and SIGTERM until continued: kill it outright.
                await process.Connection.Process.KillAsync();
            }
            else if (RetireReason.ClosesSessionsFirst(reason))
            {
                await CloseSessionsAsync(process);
            }

            await process.Connection.DisposeAsync();
        }
        catch (Exception ex)
        {
            Log.StopFailed(_logger, Name, process.ProcessId, ex);
        }
    }
}
