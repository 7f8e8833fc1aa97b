using Workers.Store;

namespace Workers.Service;

/// <summary>The sink's commit point for tools (<c>specs/store.md</c>, "Tool use"): the first tool use of the claim is
/// written in its own transaction before the agent is let on, so that a claim after this worker was lost fails the
/// turn instead of running its tools a second time.</summary>
internal sealed partial class StoreEventSink
{
    /// <summary>The one commit of this claim's tool use; null until the first tool use. Guarded by <see cref="_lock"/>.</summary>
    private Task<bool>? _toolUse;

    public Task<bool> CommitToolUseAsync()
    {
        lock (_lock)
        {
            if (_toolUse is null && (Terminal is not null || _failure is not null))
            {
                // The turn's end is known: no tool of it may run any more.
                return Task.FromResult(false);
            }

            // Off the caller's thread: it is the agent's reader, and a SQLite write runs synchronously.
            return _toolUse ??= Task.Run(CommitToolUseOnceAsync);
        }
    }

    /// <summary>Retries a failing store as the flush loop does, within the lease: past it another worker may have taken the
    /// turn, and the tool must not run beside it. The turn then fails <c>store_unavailable</c>.</summary>
    private async Task<bool> CommitToolUseOnceAsync()
    {
        var outage = new StoreOutage(_flushInterval);
        while (true)
        {
            try
            {
                await _store.MarkToolUseAsync(_lease, CancellationToken.None);
                return true;
            }
            catch (LeaseLostException)
            {
                await _leaseLost.CancelAsync();
                return false;
            }
            catch (Exception ex) when (IsStoreFailure(ex))
            {
                var now = _timeProvider.GetUtcNow();
                var delay = outage.Failed(now);
                var lasted = outage.Lasted(now);
                if (lasted >= _limits.LeaseDuration)
                {
                    if (FailStoreUnavailable($"The store could not record the turn's tool use for {lasted.TotalSeconds:0.#} s (the lease "
                        + $"is {_limits.LeaseDuration.TotalSeconds:0.#} s); the tool was refused and the turn stopped. Last error: {ex.Message}"))
                    {
                        Log.ToolUseNotRecorded(_logger, _lease.TurnId, lasted, ex);
                    }

                    return false;
                }

                try
                {
                    await Task.Delay(outage.NextTry(delay, _limits.LeaseDuration, now), _timeProvider, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // The run has ended: no tool of it runs any more.
                    return false;
                }
            }
            catch (Exception)
            {
                // The store was closed (this process stops) or refused the call: no proof, no tool.
                return false;
            }
        }
    }
}
