namespace Workers.SimAgent;

/// <summary>
/// The cancellation sources of the turns in flight, so an interrupt or <c>session/cancel</c> read on the stdin thread can stop
/// them. Sources are not disposed: they own no timers, and disposing one that a concurrent cancel still holds would throw.
/// </summary>
internal sealed class CancellationSet
{
    private readonly Lock _lock = new();
    private readonly HashSet<CancellationTokenSource> _active = [];

    public CancellationTokenSource Begin()
    {
        var source = new CancellationTokenSource();
        lock (_lock)
        {
            _active.Add(source);
        }

        return source;
    }

    public void End(CancellationTokenSource source)
    {
        lock (_lock)
        {
            _active.Remove(source);
        }
    }

    /// <summary>Cancels every turn in flight. Callbacks run on the thread pool, so the stdin thread never runs turn code.</summary>
    public void CancelAll()
    {
        CancellationTokenSource[] active;
        lock (_lock)
        {
            active = [.. _active];
        }

        foreach (var source in active)
        {
            _ = source.CancelAsync();
        }
    }
}
