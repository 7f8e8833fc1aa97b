namespace Workers.Pooling;

/// <summary>A pool at one moment: what the status page and the gauges show.</summary>
public sealed record PoolSnapshot(
    string Profile,
    string Family,
    IReadOnlyList<PoolProcessSnapshot> Processes,
    int ReservedSlots,
    int ReadyTarget,
    int MinReady,
    int MaxReady,
    int MaxProcesses,
    int BoundSessions,
    int WaitingTurns,
    double ArrivalRate,
    PoolCounterValues Counters)
{
    public int CountIn(PoolProcessState state) => Processes.Count(p => p.State == state);
}

/// <summary>One process of a pool (what a chaos tester aims at).</summary>
public sealed record PoolProcessSnapshot(long Id, int Pid, PoolProcessState State, TimeSpan Age, int TurnsServed, bool Bound, TimeSpan? Warmup);
