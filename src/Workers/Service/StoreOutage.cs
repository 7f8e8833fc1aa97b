namespace Workers.Service;

/// <summary>How a <see cref="StoreEventSink"/> waits out a store that fails its writes: the next try comes after the
/// flush interval, doubling after each failure up to <see cref="MaxDelay"/>; and how long the writes have failed
/// without one success, which bounds both the run (the lease) and the finish. One writer uses it at a time.</summary>
internal sealed class StoreOutage(TimeSpan firstDelay)
{
    /// <summary>The longest wait between tries (or the flush interval when that is longer): a store that answers again
    /// is used again within this.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private readonly TimeSpan _firstDelay = firstDelay;
    private readonly TimeSpan _maxDelay = firstDelay > MaxDelay ? firstDelay : MaxDelay;
    private TimeSpan _nextDelay = firstDelay;

    /// <summary>When the first of the failures since the last success happened; null while writes succeed.</summary>
    public DateTimeOffset? Since { get; private set; }

    /// <summary>Records a failed write; returns how long to wait before the next try.</summary>
    public TimeSpan Failed(DateTimeOffset now)
    {
        Since ??= now;
        var delay = _nextDelay;
        _nextDelay = delay * 2 < _maxDelay ? delay * 2 : _maxDelay;
        return delay;
    }

    /// <summary>Records a write that succeeded: the outage, if any, is over.</summary>
    public void Succeeded()
    {
        Since = null;
        _nextDelay = _firstDelay;
    }

    /// <summary>How long writes have failed without one success, at <paramref name="now"/>.</summary>
    public TimeSpan Lasted(DateTimeOffset now) => Since is { } since ? now - since : TimeSpan.Zero;

    /// <summary>The wait before the next try, shortened so the try falls at <paramref name="limit"/> of outage when that
    /// comes sooner: a bound is then decided on a try made at it, not up to <see cref="MaxDelay"/> later.</summary>
    public TimeSpan NextTry(TimeSpan delay, TimeSpan limit, DateTimeOffset now)
    {
        var left = limit - Lasted(now);
        return left > TimeSpan.Zero && left < delay ? left : delay;
    }
}
