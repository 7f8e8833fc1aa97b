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

    /// <summary>Set by a test to play a SIGSTOPped process.</summary>
    public bool Stopped { get; set; }

    public bool IsRunnable => !HasExited && !Stopped;

    public int Kills { get; private set; }

    public string ReadStderr() => "";

    /// <summary>Plays the process dying on its own.</summary>
    public void Crash() => _exited.TrySetResult(new AgentExit(137, _timeProvider.GetTimestamp()));

    public Task<AgentExit> KillAsync()
    {
        Kills++;
        Crash();
        return _exited.Task;
    }
}
