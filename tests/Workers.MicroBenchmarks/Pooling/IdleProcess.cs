using Workers.Processes;

namespace Workers.MicroBenchmarks.Pooling;

/// <summary>An agent process that exists only in memory and never exits: what the pool reads of a process on lease and
/// release (<see cref="IsRunnable"/>, <see cref="WasStopped"/>) costs nothing, so the benchmark measures the pool alone.</summary>
internal sealed class IdleProcess(int processId) : IAgentProcess
{
    private readonly TaskCompletionSource<AgentExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ProcessId { get; } = processId;

    public long SpawnedTimestamp { get; } = TimeProvider.System.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = TimeProvider.System.GetUtcNow();

    public Task<AgentExit> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    public bool IsRunnable => !HasExited;

    public bool WasStopped => false;

    public bool SignalledByWorkers => HasExited;

    public bool KillIfStopped(TimeSpan checkInterval) => false;

    public string ReadStderr() => "";

    public void BeginTurn()
    {
    }

    public Task<AgentExit> KillAsync()
    {
        _exited.TrySetResult(new AgentExit(128 + ProcessGroup.SigKill, TimeProvider.System.GetTimestamp()));
        return _exited.Task;
    }
}
