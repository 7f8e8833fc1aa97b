using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Store;
using Workers.Turns;

namespace Workers.Service;

/// <summary>Where a running turn's events go: to live readers at once, and to the store in batches under the turn's
/// lease, from a bounded buffer (the run's <see cref="TurnEventFeed"/>, where late readers find what is not stored yet),
/// retried with backoff while the store fails. The terminal event is held back: the store writes it with the turn's end,
/// and only then is it published. See <c>specs/store.md</c> "Event writes when the store fails" for the contract.</summary>
/// <remarks>When the store cannot take the events — its writes fail for the whole lease, or the buffer is full — the
/// sink fails the turn itself: it fixes the terminal event after the last event it kept, refuses every event after it,
/// and fires <see cref="StoreUnavailable"/> so the run stops. The reason is <c>store_unavailable</c>, unless the buffer
/// filled while the store answered every write: then the agent wrote events faster than a working store takes them (a
/// flood), and the turn fails <c>protocol_error</c>, so that a hostile agent does not pass for a store outage. Nothing a
/// live reader saw is dropped: an event is published only once it is in the buffer, and the buffer is written before the
/// end.</remarks>
internal sealed partial class StoreEventSink : ITurnEventSink, IAsyncDisposable
{
    /// <summary>Events per write transaction.</summary>
    private const int MaxBatch = 256;

    private readonly Lock _lock = new();

    /// <summary>Events not yet stored, oldest first, also served to live readers; the head stays until its write
    /// succeeded. Only <see cref="OnEvent"/> adds, under <see cref="_lock"/>, at most
    /// <see cref="Limits.MaxBufferedEvents"/>.</summary>
    private readonly TurnEventFeed _pending;
    private readonly ITurnStore _store;
    private readonly TurnLease _lease;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _flushInterval;
    private readonly Limits _limits;
    private readonly ILogger _logger;

    /// <summary>Used by one writer at a time: the flush loop, then (once it stopped) the finish.</summary>
    private readonly StoreOutage _outage;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _leaseLost = new();
    private readonly CancellationTokenSource _storeUnavailable = new();
    private readonly Task _flushLoop;

    /// <summary>Why the sink failed the turn; null while it has not. Guarded by <see cref="_lock"/>.</summary>
    private string? _failure;

    /// <summary>The reason of <see cref="_failure"/>. Guarded by <see cref="_lock"/>.</summary>
    private string _failureReason = FailureReasons.StoreUnavailable;

    /// <summary>True from a failed write until one succeeds: a full buffer is then the store's doing, else the agent's.</summary>
    private volatile bool _storeFailing;

    /// <summary>The store's last refusal, for the failure's message.</summary>
    private volatile Exception? _lastError;

    public StoreEventSink(ITurnStore store, TurnEventHub hub, TurnLease lease, TimeProvider timeProvider, TimeSpan flushInterval,
        long lastStoredSequence = 0, Limits? limits = null, ILogger? logger = null)
    {
        LastSequence = lastStoredSequence;
        _store = store;
        _pending = hub.OpenFeed(lease.TurnId);
        _lease = lease;
        _timeProvider = timeProvider;
        _flushInterval = flushInterval;
        _limits = limits ?? Limits.Default;
        _logger = logger ?? NullLogger.Instance;
        _outage = new StoreOutage(flushInterval);
        _flushLoop = FlushLoopAsync();
    }

    /// <summary>The highest event sequence seen so far.</summary>
    public long LastSequence { get; private set; }

    /// <summary>The terminal event, once the runner emitted it, or the sink's own <c>store_unavailable</c> one.</summary>
    public StoredEvent? Terminal { get; private set; }

    /// <summary>Fires when a write was refused because the lease is gone: the run must stop and write nothing more.</summary>
    public CancellationToken LeaseLost => _leaseLost.Token;

    /// <summary>Fires when the sink failed the turn because the store cannot take its events (or a working store cannot
    /// keep up with the agent): the run must stop, and its end (<see cref="ApplyFailure"/>, <see cref="Terminal"/>) is still
    /// written, through <see cref="FinishAsync"/> and <see cref="RetryAsync"/>.</summary>
    public CancellationToken StoreUnavailable => _storeUnavailable.Token;

    public void OnEvent(TurnEvent turnEvent)
    {
        var stored = ToStored(turnEvent, _timeProvider.GetUtcNow());
        bool failedNow;
        bool outpaced;
        lock (_lock)
        {
            if (_failure is not null || Terminal is not null)
            {
                // The turn's end is fixed: nothing comes after its terminal event. (A reader of a process killed under its
                // turn may still deliver a line once the runner has ended the turn.)
                return;
            }

            if (stored.IsTerminal)
            {
                // The terminal event is published by the dispatcher once the turn's end is stored.
                LastSequence = Math.Max(LastSequence, stored.Sequence);
                Terminal = stored;
                return;
            }

            if (_pending.Count < _limits.MaxBufferedEvents)
            {
                LastSequence = Math.Max(LastSequence, stored.Sequence);
                // Under the lock, so readers get events in the order they were kept.
                _pending.Publish(stored);
                return;
            }

            outpaced = !_storeFailing;
            var message = $"{_limits.MaxBufferedEvents} events were waiting for the store to take them; the turn was stopped "
                + "instead of holding more.";
            failedNow = outpaced
                ? FailTurn_NeedsLock(FailureReasons.ProtocolError, $"The agent wrote events faster than the store took them: {message} "
                    + "The store was answering.")
                : FailTurn_NeedsLock(FailureReasons.StoreUnavailable,
                    _lastError is { } error ? $"{message} Last error: {error.Message}" : message);
        }

        if (failedNow)
        {
            if (outpaced)
            {
                Log.Outpaced(_logger, _lease.TurnId, _limits.MaxBufferedEvents);
            }
            else
            {
                Log.BufferFull(_logger, _lease.TurnId, _limits.MaxBufferedEvents);
            }

            StopRun();
        }
    }

    public static StoredEvent ToStored(TurnEvent turnEvent, DateTimeOffset now) =>
        new(turnEvent.Sequence, TurnEventJson.TypeName(turnEvent), TurnEventJson.Write(turnEvent), now);

    /// <summary>The runner's result, or, when the sink failed the turn, that failure in its place (so the turn's record
    /// agrees with <see cref="Terminal"/>).</summary>
    public TurnResult ApplyFailure(TurnResult result)
    {
        lock (_lock)
        {
            return _failure is null
                ? result
                : result with { Status = TurnStatus.Failed, Reason = _failureReason, Message = _failure };
        }
    }

    /// <summary>Fails the turn with <c>store_unavailable</c> as the sink does itself: fixes its terminal event after the
    /// last kept event, refuses the rest and fires <see cref="StoreUnavailable"/>. For the run's heartbeat, which sees a
    /// store down past the lease while no event waits to be written. False when the turn's end was already known.</summary>
    public bool FailStoreUnavailable(string message)
    {
        bool failedNow;
        lock (_lock)
        {
            failedNow = FailTurn_NeedsLock(FailureReasons.StoreUnavailable, message);
        }

        if (failedNow)
        {
            StopRun();
        }

        return failedNow;
    }

    /// <summary>Fails the turn with <paramref name="reason"/> unless its end is already known; true when it did.</summary>
    private bool FailTurn_NeedsLock(string reason, string message)
    {
        if (_failure is not null || Terminal is not null)
        {
            return false;
        }

        (_failure, _failureReason) = (message, reason);
        Terminal = ToStored(new TurnFailed(reason, message) { Sequence = LastSequence + 1 },
            _timeProvider.GetUtcNow());
        LastSequence = Terminal.Sequence;
        return true;
    }

    /// <summary>Fires <see cref="StoreUnavailable"/>. The run's cancellation callbacks run on the thread pool, neither
    /// on the agent's reader (<see cref="OnEvent"/>) nor in the flush loop, which an exception of theirs must not end.</summary>
    private void StopRun() => _ = _storeUnavailable.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _flushLoop;
        Task<bool>? toolUse;
        lock (_lock)
        {
            toolUse = _toolUse;
        }

        if (toolUse is not null)
        {
            // A commit still retrying ends at the stop; it uses the sources disposed below.
            await toolUse;
        }

        // The run is over: what is stored is read from the store, and what never will be is let go.
        _pending.Dispose();
        _stop.Dispose();
        _leaseLost.Dispose();
        _storeUnavailable.Dispose();
    }
}
