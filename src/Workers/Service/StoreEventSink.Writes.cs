using Workers.Store;

namespace Workers.Service;

/// <summary>The sink's writing side: the flush loop, the finish, and the retry of a failing store.</summary>
internal sealed partial class StoreEventSink
{
    /// <summary>Stops the periodic flush and writes the rest, retried as <see cref="RetryAsync"/> does.</summary>
    /// <exception cref="LeaseLostException">The lease is gone.</exception>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _flushLoop;
        await RetryAsync(WriteAllAsync, cancellationToken);
    }

    /// <summary>Runs a write of this turn (its end, after <see cref="FinishAsync"/>) until it succeeds, waiting between
    /// tries as the flush loop does; it gives up when the store has failed every write for
    /// <see cref="Limits.FinishOutageLimit"/> and throws the last error.</summary>
    /// <exception cref="LeaseLostException">The lease is gone: another claim owns the turn.</exception>
    public async Task RetryAsync(Func<CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await write(cancellationToken);
                Succeeded();
                return;
            }
            catch (LeaseLostException)
            {
                await _leaseLost.CancelAsync();
                throw;
            }
            catch (Exception ex) when (IsStoreFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                var now = _timeProvider.GetUtcNow();
                var delay = Failed(ex, now);
                if (_outage.Lasted(now) >= _limits.FinishOutageLimit)
                {
                    Log.GaveUp(_logger, _lease.TurnId, _outage.Lasted(now), ex);
                    throw;
                }

                await Task.Delay(_outage.NextTry(delay, _limits.FinishOutageLimit, now), _timeProvider, cancellationToken);
            }
        }
    }

    private async Task FlushLoopAsync()
    {
        var wait = _flushInterval;
        try
        {
            while (true)
            {
                // Stopped without an exception: every turn's sink is stopped at its end, and an exception thrown and caught
                // there was the service's most frequent one (one per turn, ~470/s in the throughput benchmark).
                await Task.Delay(wait, _timeProvider, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                wait = await TryWriteAllAsync();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by FinishAsync or DisposeAsync.
        }
        catch (LeaseLostException)
        {
            // Fenced off: the run must stop and write nothing more.
            await _leaseLost.CancelAsync();
        }
        catch (Exception ex) when (!IsStoreFailure(ex))
        {
            // The store was closed (this process stops), or a bug of ours: retrying would not help; FinishAsync meets it again.
        }
    }

    /// <summary>Whether a write's exception is the store failing (retried), rather than a refused lease, a closed store or
    /// a bad argument (not retried).</summary>
    private static bool IsStoreFailure(Exception exception) =>
        exception is not (LeaseLostException or ObjectDisposedException or ArgumentException);

    /// <summary>Writes what is pending; returns how long to wait for the next flush: the interval, or the backoff when
    /// the store failed. A store that failed for the whole lease fails the turn.</summary>
    private async Task<TimeSpan> TryWriteAllAsync()
    {
        try
        {
            // Only the loop's wait is cancellable: a batch being written is written whole.
            await WriteAllAsync(CancellationToken.None);
            Succeeded();
            return _flushInterval;
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            var now = _timeProvider.GetUtcNow();
            var delay = Failed(ex, now);
            var lasted = _outage.Lasted(now);
            if (lasted < _limits.LeaseDuration)
            {
                return _outage.NextTry(delay, _limits.LeaseDuration, now);
            }

            // Past the lease another worker may take the turn: this run must not go on beside it.
            if (FailStoreUnavailable($"The store took none of the turn's events for {lasted.TotalSeconds:0.#} s (the lease is "
                + $"{_limits.LeaseDuration.TotalSeconds:0.#} s); the turn was stopped. Last error: {ex.Message}"))
            {
                Log.TurnStopped(_logger, _lease.TurnId, lasted, ex);
            }

            return delay;
        }
    }

    /// <summary>Writes the pending events in batches, oldest first; a batch leaves the buffer only once stored.</summary>
    private async Task WriteAllAsync(CancellationToken cancellationToken)
    {
        while (_pending.Oldest(MaxBatch) is { Count: > 0 } batch)
        {
            await _store.AppendEventsAsync(_lease, batch, cancellationToken);
            _pending.Stored(batch.Count);
        }
    }

    /// <summary>Records a failed write; returns the backoff before the next try.</summary>
    private TimeSpan Failed(Exception error, DateTimeOffset now)
    {
        if (_outage.Since is null)
        {
            Log.WriteFailed(_logger, _lease.TurnId, error);
        }

        _lastError = error;
        _storeFailing = true;
        return _outage.Failed(now);
    }

    /// <summary>Records a write that succeeded: an outage, if any, is over.</summary>
    private void Succeeded()
    {
        _outage.Succeeded();
        _storeFailing = false;
    }
}
