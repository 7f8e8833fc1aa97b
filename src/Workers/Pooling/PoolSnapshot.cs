namespace Workers.Pooling;

/// <summary>A pool at one moment: what the status page and the gauges show. The ready target, its bounds and the arrival
/// rate are the sums over the pool's warm sets, each of which <see cref="WarmSets"/> shows.</summary>
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
    PoolCounterValues Counters,
    IReadOnlyList<WarmSetSnapshot> WarmSets)
{
    public int CountIn(PoolProcessState state) => Processes.Count(p => p.State == state);
}

/// <summary>One process of a pool (what a chaos tester aims at), with the warm set of the directory it was launched for.</summary>
public sealed record PoolProcessSnapshot(long Id, int Pid, PoolProcessState State, TimeSpan Age, int TurnsServed, bool Bound, TimeSpan? Warmup,
    string WarmSet);
