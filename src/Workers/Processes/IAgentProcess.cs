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

    /// <summary>True while the process exists, is not a zombie, and no process of its group is stopped (SIGSTOP) or traced:
    /// a new look at <c>/proc</c> for the lease — the leader and the group's members of a recent pass, each read again now.</summary>
    bool IsRunnable { get; }

    /// <summary>Kills the whole group when one of its processes is stopped: a stopped agent never answers, so it is as good
    /// as dead, and a dead one is replaced (or its turn retried) where a stopped one would wait out a timeout. The watchers
    /// call it every <paramref name="checkInterval"/>; a look at <c>/proc</c> taken within half of it is reused, so the
    /// watchers of one interval share a pass. True once the group was killed for it.</summary>
    bool KillIfStopped(TimeSpan checkInterval);

    /// <summary>True once <see cref="KillIfStopped"/> killed the group: its turn fails <c>process_stopped</c>, not as a crash.</summary>
    bool WasStopped { get; }

    /// <summary>True once Workers itself sent the group SIGTERM or SIGKILL (a stop, a kill, a timeout): a death by such a
    /// signal is then ours, not an outside kill (<see cref="OutsideKill"/>).</summary>
    bool SignalledByWorkers { get; }

    /// <summary>The most recent stderr text of the current turn (<see cref="BeginTurn"/>).</summary>
    string ReadStderr();

    /// <summary>A turn starts on this process: its stderr, in the turn's record and messages, is only what the agent writes
    /// from now on, never an earlier turn's (another conversation's) — see <see cref="StderrTail"/>.</summary>
    void BeginTurn();

    /// <summary>Kills the whole process group at once.</summary>
    Task<AgentExit> KillAsync();
}
