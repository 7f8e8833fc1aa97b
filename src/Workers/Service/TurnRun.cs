using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Metrics;
using Workers.Processes;
using Workers.Profiles;
using Workers.Running;
using Workers.Serialization;
using Workers.Store;
using Workers.Tracing;
using Workers.Turns;

namespace Workers.Service;

/// <summary>One turn claimed by the <see cref="Dispatcher"/>, from its claim to its end: its events to live readers and
/// the store, the attempt boundary, the heartbeat that renews its lease (and sees a cancel asked of another replica),
/// the run through the <see cref="ITurnRunner"/>, and its end written under the lease, or the lease handed back when
/// our own shutdown stopped it.</summary>
/// <remarks>Its own type, apart from the claim loop, because everything here concerns one turn and its lease while the
/// dispatcher decides only what to claim and when; one instance per claim also holds that claim's cancel and flags.</remarks>
[SuppressMessage("Reliability", "CA1001", Justification = "The cancel source is never disposed on purpose: see _cancel.")]
internal sealed partial class TurnRun
{
    /// <summary>The first retry of a failed renewal; each next one waits twice as long, never past half of what is left of
    /// the lease, so a store that answers again within the lease keeps it.</summary>
    internal static readonly TimeSpan FirstRenewalRetry = TimeSpan.FromMilliseconds(500);

    // Never disposed: a producer's cancel (Dispatcher.TryCancel) or the shutdown may reach a run that has just ended, and
    // must stay harmless then. A source without a timer holds nothing that needs disposing.
    private readonly CancellationTokenSource _cancel = new();
    private readonly ClaimedTurn _claimed;
    private readonly Services _services;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private volatile bool _leaseLost;
    private volatile bool _shutdown;
    private DateTimeOffset _leaseHeldUntil;

    public TurnRun(ClaimedTurn claimed, Services services)
    {
        _claimed = claimed;
        _services = services;
        _logger = services.Logger;
        _timeProvider = services.TimeProvider;
        _leaseHeldUntil = claimed.Turn.LeaseExpiresAt ?? _timeProvider.GetUtcNow() + services.Options.LeaseDuration;
    }

    public string Profile => _claimed.Turn.Profile;

    /// <summary>The run on the thread pool, once the dispatcher started it.</summary>
    public Task? Completion { get; set; }

    /// <summary>Stops the turn the family's way (the producer's cancel): it ends cancelled.</summary>
    public void Cancel() => _cancel.Cancel();

    /// <summary>Stops the turn because this service stops: its lease is handed back instead of ending it.</summary>
    public Task StopForShutdownAsync()
    {
        _shutdown = true;
        return _cancel.CancelAsync();
    }

    /// <summary>Runs the turn to its end; never throws (a failure is logged, the lease then expires).</summary>
    public async Task RunAsync()
    {
        try
        {
            await RunUnderLeaseAsync();
        }
        catch (Exception ex)
        {
            Log.RunFailed(_logger, _claimed.Turn.Id, ex);
        }
    }

    private async Task RunUnderLeaseAsync()
    {
        var turn = _claimed.Turn;
        var started = _timeProvider.GetUtcNow();
        using var scope = _logger.BeginScope(new Dictionary<string, object>
        {
            ["TurnId"] = turn.Id,
            ["ConversationId"] = turn.ConversationId,
        });
        await using var sink = new StoreEventSink(_services.Store, _services.Hub, _claimed.Lease, _timeProvider,
            _services.Options.EventFlushInterval, turn.LastEventSequence, StoreEventSink.Limits.For(_services.Options), _logger);
        var firstSequence = turn.LastEventSequence;
        if (turn.Attempts > 1)
        {
            // Live readers may have seen events of the lost attempt that never reached the store; a new attempt must not
            // reuse their numbers, or a reader resuming from one of them would skip this attempt's first events.
            // Each attempt's events therefore start in a fresh block of AttemptSequenceBlock numbers.
            firstSequence = Math.Max(firstSequence, (turn.Attempts - 1) * Dispatcher.AttemptSequenceBlock);
            // The previous worker died mid-turn: the event stream shows where this attempt starts. Not an agent failure.
            sink.OnEvent(new AttemptStarted(turn.Attempts, "The worker running the previous attempt was lost.")
            {
                Sequence = ++firstSequence,
            });
        }

        var submission = TurnSubmission.FromStored(turn.Payload);
        // The turn's root span, current while it runs; its segment spans are laid from the record at the end (specs/tracing.md).
        using var trace = TurnTrace.Start(turn);
        using var heartbeat = new CancellationTokenSource();
        var heartbeats = HeartbeatAsync(_claimed.Lease, sink, heartbeat.Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, sink.LeaseLost, sink.StoreUnavailable);
        TurnResult result;
        try
        {
            result = await RunOrEndAsync(turn, submission, sink, firstSequence, stop.Token);
        }
        finally
        {
            await heartbeat.CancelAsync();
            await heartbeats;
        }

        if (_leaseLost || sink.LeaseLost.IsCancellationRequested)
        {
            // Someone else owns the turn now (this worker stalled past its lease): it must not write.
            Log.LeaseLost(_logger, turn.Id);
            trace.Abandon("lease_lost");
            return;
        }

        // When the store could not take the turn's events (or renew its lease) the sink failed it store_unavailable:
        // that failure, not the stopped run's, is the turn's end, written below once the store answers.
        result = sink.ApplyFailure(result);
        try
        {
            await sink.FinishAsync(CancellationToken.None);
        }
        catch (LeaseLostException)
        {
            Log.LeaseLost(_logger, turn.Id);
            trace.Abandon("lease_lost");
            return;
        }

        if (_shutdown && result.Status == TurnStatus.Cancelled)
        {
            // Stopped by our own shutdown, not by the producer: the next run of the service takes the turn back.
            await _services.Store.ExpireLeasesAsync(_services.InstanceId, _timeProvider.GetUtcNow(), CancellationToken.None);
            trace.Abandon("shutdown");
            return;
        }

        result = trace.Complete(result);
        await CompleteAsync(result, sink.Terminal ?? throw new InvalidOperationException($"Turn {turn.Id} ended without a terminal event."),
            started, sink, submission.Canary == true);
    }

    /// <summary>Writes the turn's end under its lease (retried by the sink while the store fails), then publishes its
    /// terminal event. A canary's end is counted under <c>workers_canary_*</c>, not the producer metrics.</summary>
    private async Task CompleteAsync(TurnResult result, StoredEvent terminal, DateTimeOffset started, StoreEventSink sink, bool canary)
    {
        var turn = _claimed.Turn;
        var resultJson = JsonSerializer.Serialize(result, WorkersJson.Options);
        var state = result.Status switch
        {
            TurnStatus.Succeeded => TurnState.Succeeded,
            TurnStatus.Cancelled => TurnState.Cancelled,
            _ => TurnState.Failed,
        };
        try
        {
            await sink.RetryAsync(async cancellationToken =>
            {
                // Each try stamps its own time: a store that answered only after an outage records when the end got in.
                var now = _timeProvider.GetUtcNow();
                var run = new RunRecord(turn.Id, turn.Attempts, _services.InstanceId, started, now, state.ToString().ToLowerInvariant(),
                    resultJson);
                await _services.Store.CompleteAsync(_claimed.Lease, new TurnCompletion(state, result.Reason, resultJson, terminal), run,
                    now, cancellationToken);
            }, CancellationToken.None);
            if (canary)
            {
                _services.Metrics.RecordCanary(result, _timeProvider.GetUtcNow());
            }
            else
            {
                _services.Metrics.RecordTurn(result);
            }

            // Live readers get the terminal event only now, so a reader that sees the end can read the final record.
            _services.Hub.PublishStored(turn.Id, terminal);
        }
        catch (LeaseLostException)
        {
            Log.LeaseLost(_logger, turn.Id);
        }
    }

    /// <summary>Renews the lease every third of it, and sees a cancel asked of another replica. A renewal the store fails
    /// (busy, or down for a moment) is retried sooner, with backoff, while the lease still holds; the run is stopped only
    /// when the lease is really lost. When the store says another worker holds it, this run writes nothing more. When
    /// it expired before a renewal got through (the store stayed down), another worker may take the turn at any moment:
    /// the run stops, and its end is <c>store_unavailable</c>, written once the store answers unless someone took the
    /// turn meanwhile. (One failure used to end the heartbeat for good, and a turn still running here lost its lease.)</summary>
    private async Task HeartbeatAsync(TurnLease lease, StoreEventSink sink, CancellationToken cancellationToken)
    {
        using var timer = new QuietPeriodicTimer(_services.Options.LeaseDuration / 3, _timeProvider, cancellationToken);
        try
        {
            while (await timer.WaitForNextTickAsync())
            {
                switch (await RenewAsync(lease, cancellationToken))
                {
                    case Renewal.HeldByAnother:
                        _leaseLost = true;
                        await _cancel.CancelAsync();
                        return;
                    case Renewal.ExpiredUnrenewed:
                        sink.FailStoreUnavailable($"The store renewed none of the turn's lease for its whole "
                            + $"{_services.Options.LeaseDuration.TotalSeconds:0.#} s; the turn was stopped.");
                        return;
                }

                await CheckCancelRequestedAsync(lease, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The turn ended.
        }
    }

    /// <summary>Renews the lease, retrying a store that fails until the lease runs out. A beat that comes late (this
    /// process stalled past its lease) still tries: expiry alone does not revoke a lease, so the store renews it unless
    /// another claim took the turn; only a store that fails is a reason to give the lease up.</summary>
    private async Task<Renewal> RenewAsync(TurnLease lease, CancellationToken cancellationToken)
    {
        var leaseDuration = _services.Options.LeaseDuration;
        var retry = FirstRenewalRetry;
        while (true)
        {
            try
            {
                var now = _timeProvider.GetUtcNow();
                if (!await _services.Store.RenewAsync(lease, now + leaseDuration, cancellationToken))
                {
                    return Renewal.HeldByAnother;
                }

                _leaseHeldUntil = now + leaseDuration;
                return Renewal.Renewed;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var remaining = _leaseHeldUntil - _timeProvider.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    Log.LeaseExpiredUnrenewed(_logger, lease.TurnId, ex);
                    return Renewal.ExpiredUnrenewed;
                }

                var wait = TimeSpan.FromTicks(Math.Max(Math.Min(retry.Ticks, remaining.Ticks / 2), TimeSpan.FromMilliseconds(10).Ticks));
                Log.HeartbeatFailed(_logger, lease.TurnId, wait.TotalMilliseconds, remaining.TotalMilliseconds, ex);
                await Task.Delay(wait, _timeProvider, cancellationToken);
                retry *= 2;
            }
        }
    }

    /// <summary>A cancel may have been asked of another replica's API: only the store hears of it. A read that fails is
    /// tried again at the next beat.</summary>
    private async Task CheckCancelRequestedAsync(TurnLease lease, CancellationToken cancellationToken)
    {
        try
        {
            if (await _services.Store.GetTurnAsync(lease.TurnId, cancellationToken) is { CancelRequested: true })
            {
                await _cancel.CancelAsync();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.CancelCheckFailed(_logger, lease.TurnId, ex);
        }
    }

    private enum Renewal
    {
        Renewed,

        /// <summary>The store says the lease is not ours: another claim took the turn, or it ended.</summary>
        HeldByAnother,

        /// <summary>No renewal got through before the lease ran out.</summary>
        ExpiredUnrenewed,
    }

    /// <summary>What every run shares: the dispatcher's parts and settings, and this worker's name in leases.</summary>
    internal sealed record Services(ITurnStore Store, ITurnRunner Runner, TurnEventHub Hub, ProfileCatalog Profiles,
        ServiceOptions Options, TimeProvider TimeProvider, ILogger Logger, WorkerMetrics Metrics, string InstanceId);
}
