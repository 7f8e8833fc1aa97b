using System.Text.Json;
using Workers.Serialization;
using Workers.Store;
using Workers.Turns;

namespace Workers.Service;

/// <summary>Where a running turn's events go: to live readers at once (<see cref="TurnEventHub"/>), and to the store
/// in batches under the turn's lease. The terminal event is held back: the store writes it with the turn's end, and
/// only then is it published.</summary>
internal sealed class StoreEventSink : ITurnEventSink, IAsyncDisposable
{
    private const int MaxBatch = 256;

    private readonly Lock _lock = new();
    private readonly List<StoredEvent> _pending = [];
    private readonly ITurnStore _store;
    private readonly TurnEventHub _hub;
    private readonly TurnLease _lease;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _flushInterval;
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _flushLoop;

    public StoreEventSink(ITurnStore store, TurnEventHub hub, TurnLease lease, TimeProvider timeProvider, TimeSpan flushInterval,
        long lastStoredSequence = 0)
    {
        LastSequence = lastStoredSequence;
        _store = store;
        _hub = hub;
        _lease = lease;
        _timeProvider = timeProvider;
        _flushInterval = flushInterval;
        _flushLoop = FlushLoopAsync();
    }

    /// <summary>The highest event sequence seen so far.</summary>
    public long LastSequence { get; private set; }

    /// <summary>The terminal event, once the runner emitted it.</summary>
    public StoredEvent? Terminal { get; private set; }

    /// <summary>Fires when a write was refused because the lease is gone: the run must stop.</summary>
    public CancellationToken LeaseLost => _leaseLost.Token;

    private readonly CancellationTokenSource _leaseLost = new();

    public void OnEvent(TurnEvent turnEvent)
    {
        var stored = ToStored(turnEvent, _timeProvider.GetUtcNow());
        if (!stored.IsTerminal)
        {
            // The terminal event is published by the dispatcher once the turn's end is stored.
            _hub.Publish(_lease.TurnId, stored);
        }

        lock (_lock)
        {
            LastSequence = Math.Max(LastSequence, stored.Sequence);
            if (stored.IsTerminal)
            {
                Terminal = stored;
            }
            else
            {
                _pending.Add(stored);
            }
        }
    }

    public static StoredEvent ToStored(TurnEvent turnEvent, DateTimeOffset now)
    {
        var json = JsonSerializer.SerializeToElement(turnEvent, WorkersJson.Options);
        return new StoredEvent(turnEvent.Sequence, json.GetProperty("type").GetString()!, json.GetRawText(), now);
    }

    /// <summary>Writes what is pending now.</summary>
    /// <exception cref="LeaseLostException">The lease is gone.</exception>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            List<StoredEvent> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    return;
                }

                batch = [.. _pending.Take(MaxBatch)];
                _pending.RemoveRange(0, batch.Count);
            }

            try
            {
                await _store.AppendEventsAsync(_lease, batch, cancellationToken);
            }
            catch (LeaseLostException)
            {
                await _leaseLost.CancelAsync();
                throw;
            }
            catch
            {
                // Not written (store busy, or the flush was cancelled): keep the batch, in order, for the next flush.
                lock (_lock)
                {
                    _pending.InsertRange(0, batch);
                }

                throw;
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    private async Task FlushLoopAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(_flushInterval, _timeProvider);
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                // Only the wait is cancellable: a batch being written is written whole.
                await FlushAsync(CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LeaseLostException)
        {
            // Stopped, or fenced off: the run is being stopped.
        }
        catch (Exception)
        {
            // The store failed a write: the batch stays pending and FinishAsync retries it (or the turn's end fails).
        }
    }

    /// <summary>Stops the periodic flush and writes the rest.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _flushLoop;
        while (true)
        {
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    return;
                }
            }

            await FlushAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _flushLoop;
        _stop.Dispose();
        _leaseLost.Dispose();
        _flushing.Dispose();
    }
}
