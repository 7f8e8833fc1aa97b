namespace Workers.Pooling;

/// <summary>A stopped process is a dead one (<c>specs/pool.md</c>, "Stopped processes"). Every <c>StoppedCheckInterval</c>
/// the pool looks at every process it holds, in every state, and kills the group of one that has a stopped member
/// (SIGSTOP; a CLI is often node plus a child, and either may be the one stopped). A ready or bound process is retired
/// here (<c>killed</c>); a starting one fails its start (<c>start_killed</c>) and a leased one its turn
/// (<c>process_stopped</c>, retried before output), each on its own path, which sees the exit. The running turn watches its
/// own process as well (<c>TurnExecutor</c>); this sweep also covers the lease before the prompt (readiness, session).</summary>
public sealed partial class AgentPool
{
    private readonly ITimer _stoppedSweep;

    private void SweepStopped()
    {
        var interval = Options.StoppedCheckInterval;
        List<PooledProcess> held;
        lock (_lock)
        {
            held = [.. _processes];
        }

        var retired = false;
        foreach (var process in held)
        {
            if (process.Connection.Process.KillIfStopped(interval))
            {
                retired |= RetireIfIdle(process, RetireReason.Killed);
            }
        }

        if (retired)
        {
            Replenish();
        }
    }

    /// <summary>Retires a ready or bound process; a starting or leased one is left to the start or the turn that holds it.</summary>
    private bool RetireIfIdle(PooledProcess process, string reason)
    {
        lock (_lock)
        {
            if (process.State is not (PoolProcessState.Ready or PoolProcessState.Bound) || !Retire_NeedsLock(process, reason))
            {
                return false;
            }
        }

        AfterRetire(process, reason);
        return true;
    }
}
