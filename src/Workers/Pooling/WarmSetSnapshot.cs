namespace Workers.Pooling;

/// <summary>One warm set of a pool at one moment: what <c>/v1/pools</c> and the per-directory gauges show. Its name is
/// <c>default</c> or the configured one (the <c>directory</c> label); its directory, the path as the agent sees it.</summary>
public sealed record WarmSetSnapshot(
    string Name,
    string Directory,
    int Ready,
    int Starting,
    int ReadyTarget,
    int MinReady,
    int MaxReady,
    int WaitingTurns,
    double ArrivalRate);
