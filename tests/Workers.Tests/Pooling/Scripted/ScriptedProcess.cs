using Workers.Processes;

namespace Workers.Tests.Pooling.Scripted;

/// <summary>A process that exists only in the test: the test decides when it exits and whether it is stopped.</summary>
internal sealed class ScriptedProcess(int processId, TimeProvider timeProvider) : IAgentProcess
{
    private readonly TaskCompletionSource<AgentExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _timeProvider = timeProvider;

    public int ProcessId { get; } = processId;

    public long SpawnedTimestamp { get; } = timeProvider.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = timeProvider.GetUtcNow();

    public Task<AgentExit> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Set by a test to play a SIGSTOPped process (or a stopped member of its group).</summary>
    public bool Stopped { get; set; }

    public bool IsRunnable => !HasExited && !Stopped;

    public bool WasStopped { get; private set; }

    /// <summary>SIGKILLs sent to the group.</summary>
    public int Kills { get; private set; }

    public bool SignalledByWorkers { get; private set; }

    public string ReadStderr() => "";

    public void BeginTurn()
    {
    }

    /// <summary>Plays the process dying on its own (a CLI that fails exits 1).</summary>
    public void Crash() => Exit(1);

    /// <summary>Plays a kill from outside the service (an operator, the OOM killer).</summary>
    public void KillFromOutside(int signal) => Exit(128 + signal);

    public Task<AgentExit> KillAsync()
    {
        Kills++;
        SignalledByWorkers = !WasStopped;
        Exit(128 + ProcessGroup.SigKill);
        return _exited.Task;
    }

    public bool KillIfStopped(TimeSpan checkInterval)
    {
        if (WasStopped || HasExited || !Stopped)
        {
            return WasStopped;
        }

        WasStopped = true;
        _ = KillAsync();
        return true;
    }

    private void Exit(int code) => _exited.TrySetResult(new AgentExit(code, _timeProvider.GetTimestamp()));
}
