namespace Workers.Pooling;

/// <summary>Monotonic counts of a pool since start.</summary>
public sealed class PoolCounters
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _retired = [];
    private long _leases;
    private long _warmLeases;
    private long _leaseTimeouts;
    private long _spawned;
    private long _startFailures;
    private long _startKills;

    internal void LeaseRequested() => Interlocked.Increment(ref _leases);

    internal void WarmLease() => Interlocked.Increment(ref _warmLeases);

    internal void LeaseTimedOut() => Interlocked.Increment(ref _leaseTimeouts);

    internal void Spawned() => Interlocked.Increment(ref _spawned);

    internal void StartFailed() => Interlocked.Increment(ref _startFailures);

    internal void StartKilled() => Interlocked.Increment(ref _startKills);

    internal void Retired(string reason)
    {
        lock (_lock)
        {
            _retired[reason] = _retired.GetValueOrDefault(reason) + 1;
        }
    }

    public PoolCounterValues Read()
    {
        lock (_lock)
        {
            return new PoolCounterValues(Interlocked.Read(ref _leases), Interlocked.Read(ref _warmLeases), Interlocked.Read(ref _leaseTimeouts),
                Interlocked.Read(ref _spawned), Interlocked.Read(ref _startFailures), Interlocked.Read(ref _startKills),
                new Dictionary<string, long>(_retired));
        }
    }
}

/// <summary>The counts of <see cref="PoolCounters"/> at one moment. <c>StartFailures</c> are starts that failed or timed
/// out (what the start backoff counts); <c>StartKills</c>, starts ended by a kill from outside (or a stop) before ready,
/// counted apart and not backed off.</summary>
public sealed record PoolCounterValues(long Leases, long WarmLeases, long LeaseTimeouts, long Spawned, long StartFailures, long StartKills,
    IReadOnlyDictionary<string, long> RetiredByReason)
{
    /// <summary>The share of leases served by a warm process.</summary>
    public double WarmShare => Leases == 0 ? 0 : (double)WarmLeases / Leases;
}
