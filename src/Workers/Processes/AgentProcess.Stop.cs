namespace Workers.Processes;

/// <summary>Stopping an agent: gently first (stdin EOF, which the well-behaved CLIs end on), then SIGTERM, then SIGKILL,
/// always to the whole process group so that a CLI's own children end with it. A group found stopped is killed at once.</summary>
public sealed partial class AgentProcess
{
    private int _killedStopped;
    private int _signalledByWorkers;

    public bool WasStopped => Volatile.Read(ref _killedStopped) == 1;

    public bool SignalledByWorkers => Volatile.Read(ref _signalledByWorkers) == 1;

    /// <summary>SIGKILLs the group when one of its processes is stopped (state T or t): SIGKILL is the one signal a stopped
    /// process does not hold back until it is continued.</summary>
    public bool KillIfStopped(TimeSpan checkInterval)
    {
        if (WasStopped)
        {
            return true;
        }

        if (HasExited || !StoppedProcessGroups.Contains(ProcessId, checkInterval / 2))
        {
            return false;
        }

        if (Interlocked.Exchange(ref _killedStopped, 1) == 0)
        {
            Log.KillingStopped(_logger, ProcessId);
            SignalGroup(ProcessGroup.SigKill);
        }

        return true;
    }

    /// <summary>Stops the process: stdin EOF, then SIGTERM to the group, then SIGKILL to the group, waiting
    /// <paramref name="gracePeriod"/> after each of the first two.</summary>
    public async Task<AgentExit> StopAsync(TimeSpan gracePeriod)
    {
        if (HasExited)
        {
            return await Exited;
        }

        CloseInput();
        if (await WaitAsync(gracePeriod))
        {
            return await Exited;
        }

        Log.Escalating(_logger, ProcessId, "SIGTERM");
        Volatile.Write(ref _signalledByWorkers, 1);
        if (_spec.Sandboxed)
        {
            SandboxedGroup.SignalAgent(ProcessId, ProcessGroup.SigTerm);
        }
        else
        {
            SignalGroup(ProcessGroup.SigTerm);
        }
        if (await WaitAsync(gracePeriod))
        {
            return await Exited;
        }

        Log.Escalating(_logger, ProcessId, "SIGKILL");
        SignalGroup(ProcessGroup.SigKill);
        await _forceful.CancelAsync();
        return await Exited;
    }

    /// <summary>Kills the whole group at once.</summary>
    public async Task<AgentExit> KillAsync()
    {
        Volatile.Write(ref _signalledByWorkers, 1);
        SignalGroup(ProcessGroup.SigKill);
        await _forceful.CancelAsync();
        return await Exited;
    }

    private async Task<bool> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await Exited.WaitAsync(TimerDelay.Clamp(timeout), _timeProvider);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
