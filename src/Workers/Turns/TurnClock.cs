namespace Workers.Turns;

/// <summary>The markers of one turn (<c>specs/timing.md</c>). Enqueue and claim are wall time (they cross
/// restarts and replicas); everything after the claim is monotonic, from <see cref="TimeProvider.GetTimestamp"/>.
/// A marker keeps its first value: later observations of the same marker are ignored.</summary>
public sealed class TurnClock
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private long? _spawned;
    private long? _cliReady;
    private long? _sessionReady;
    private long? _promptSent;
    private long? _firstToken;
    private long? _finished;

    public TurnClock(TimeProvider timeProvider, DateTimeOffset? enqueuedAt = null)
    {
        _timeProvider = timeProvider;
        ClaimedAt = timeProvider.GetUtcNow();
        ClaimedTimestamp = timeProvider.GetTimestamp();
        EnqueuedAt = enqueuedAt ?? ClaimedAt;
        Leased = ClaimedTimestamp;
        FirstTokenWaitStart = ClaimedTimestamp;
    }

    public DateTimeOffset EnqueuedAt { get; }

    public DateTimeOffset ClaimedAt { get; }

    public long ClaimedTimestamp { get; }

    /// <summary>When the turn got its process: the start of the turn-visible wait.</summary>
    public long Leased { get; private set; }

    public TimeProvider TimeProvider => _timeProvider;

    public long Now() => _timeProvider.GetTimestamp();

    /// <summary>Where <c>Timeouts:FirstToken</c> counts from: the lease, or the lease of a retry after text (the answer the
    /// producer waits for starts over there; <see cref="RestartFirstTokenWait"/>).</summary>
    public long FirstTokenWaitStart { get; private set; }

    public void MarkLeased() => Leased = FirstTokenWaitStart = Now();

    /// <summary>A retry after text got its process: its answer gets the whole first-token limit, the turn keeps its lease.</summary>
    public void RestartFirstTokenWait() => FirstTokenWaitStart = Now();

    public void MarkSpawned(long timestamp) => Set(ref _spawned, timestamp);

    public void MarkCliReady(long? timestamp = null) => Set(ref _cliReady, timestamp ?? Now());

    public void MarkSessionReady(long? timestamp = null) => Set(ref _sessionReady, timestamp ?? Now());

    public void MarkPromptSent(long? timestamp = null) => Set(ref _promptSent, timestamp ?? Now());

    public void MarkFirstToken(long? timestamp = null) => Set(ref _firstToken, timestamp ?? Now());

    public void MarkFinished(long? timestamp = null) => Set(ref _finished, timestamp ?? Now());

    /// <summary>Forgets every marker after <c>leased</c>: a retry on another process starts its markers over,
    /// and the time the failed attempt took stays in the turn's wait.</summary>
    public void ResetForRetry()
    {
        lock (_lock)
        {
            _spawned = _cliReady = _sessionReady = _promptSent = _firstToken = _finished = null;
        }
    }

    public bool HasFirstToken
    {
        get
        {
            lock (_lock)
            {
                return _firstToken is not null;
            }
        }
    }

    private void Set(ref long? marker, long timestamp)
    {
        lock (_lock)
        {
            marker ??= timestamp;
        }
    }

    /// <summary>The segments of the timing contract from the markers seen so far.</summary>
    public TurnTiming Compute()
    {
        lock (_lock)
        {
            return TurnTiming.From(new TurnMarkers(
                EnqueuedAt, ClaimedAt, ClaimedTimestamp, Leased, _spawned, _cliReady, _sessionReady, _promptSent, _firstToken, _finished),
                _timeProvider.TimestampFrequency);
        }
    }
}
