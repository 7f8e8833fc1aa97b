namespace Workers.Processes;

/// <summary>What the pool and the runners may see of an agent process: who it is, whether it can still run, its
/// stderr for a failure record, and a way to end it. Its pipes stay with the family's connection.</summary>
public interface IAgentProcess
{
    /// <summary>The process id; also its process group id.</summary>
    int ProcessId { get; }

    /// <summary>Monotonic timestamp of the spawn.</summary>
    long SpawnedTimestamp { get; }

    /// <summary>Wall time of the spawn.</summary>
    DateTimeOffset StartedAt { get; }

    /// <summary>Completes when the process has exited and its output was read to the end.</summary>
    Task<AgentExit> Exited { get; }

    bool HasExited { get; }

    /// <summary>True while the process exists and is neither stopped (SIGSTOP), traced nor a zombie.</summary>
    bool IsRunnable { get; }

    /// <summary>The most recent stderr text.</summary>
    string ReadStderr();

    /// <summary>Kills the whole process group at once.</summary>
    Task<AgentExit> KillAsync();
}
