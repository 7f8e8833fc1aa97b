namespace Workers.Pooling;

/// <summary>Why a pooled process left the pool: the label of the process-exit counter.</summary>
public static class RetireReason
{
    /// <summary>Served <c>MaxTurnsPerProcess</c> turns, or its family serves one turn per process.</summary>
    public const string Recycled = "recycled";

    /// <summary>Lived past its (jittered) <c>MaxLifetime</c>.</summary>
    public const string Lifetime = "lifetime";

    /// <summary>Its conversation's session stayed idle past <c>SessionIdleTtl</c>.</summary>
    public const string Idle = "idle";

    /// <summary>Released as the least recently used bound session to make room.</summary>
    public const string Evicted = "evicted";

    /// <summary>Its process tree's resident memory passed <c>Pool:MaxProcessRssMiB</c> while it was idle (ready or bound).</summary>
    public const string Memory = "memory";

    /// <summary>It served a canary (<c>specs/canaries.md</c>): it holds the canary's session, so a fresh process replaces it
    /// rather than a producer's next turn getting it.</summary>
    public const string Canary = "canary";

    /// <summary>Exited on its own.</summary>
    public const string Crashed = "crashed";

    /// <summary>Found stopped (SIGSTOP of any process of its group) and killed, whatever its state; or gone when leased.</summary>
    public const string Killed = "killed";

    public const string StartTimeout = "start_timeout";

    /// <summary>Could not start (exited, broke the protocol): what the start backoff is for.</summary>
    public const string StartFailed = "start_failed";

    /// <summary>Killed by a signal from outside (SIGKILL, SIGTERM), or found stopped and killed, before it was ready: not a
    /// CLI that cannot start, so the start backoff does not grow.</summary>
    public const string StartKilled = "start_killed";

    /// <summary>Its turn failed, was cancelled or timed out: its stream is not trusted again.</summary>
    public const string TurnFailed = "turn_failed";

    /// <summary>Recycled on an operator's request (drain).</summary>
    public const string Drained = "drained";

    public const string Shutdown = "shutdown";

    /// <summary>Its conversation was deleted.</summary>
    public const string Forgotten = "forgotten";

    /// <summary>In conversation isolation, its turn ended without leaving it bound to the conversation (a turn without one, a
    /// failed first turn): it held that conversation's files and memory, so it serves no other.</summary>
    public const string Isolated = "isolated";

    /// <summary>True when the process still answers as it leaves the pool, so its sessions are closed before it stops: it
    /// was let go, not lost (not exited, killed, failed to start, or mid-way through a failed turn whose stream is not
    /// trusted and whose stop would wait out a close it may never answer).</summary>
    public static bool ClosesSessionsFirst(string reason) =>
        reason is Idle or Evicted or Forgotten or Drained or Shutdown or Lifetime or Recycled or Isolated or Memory or Canary;
}
