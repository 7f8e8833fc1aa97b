using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Serialization;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Running;
using Workers.Store;
using Workers.Turns;

namespace Workers.Service;

/// <summary>Claims turns from the store as pool capacity allows (never a turn it cannot start), conversations bound
/// here first, runs each through the pool under a heartbeat-renewed lease, writes its events in batches and its end.</summary>
public sealed partial class Dispatcher : BackgroundService
{
    /// <summary>Event numbers reserved per attempt: attempt n numbers its events from (n − 1) × this + 1.</summary>
    public const long AttemptSequenceBlock = 1_000_000;

    private readonly ConcurrentDictionary<string, RunningTurn> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly ITurnStore _store;
    private readonly PooledTurnRunner _runner;
    private readonly PoolRegistry _pools;
    private readonly ProfileCatalog _profiles;
    private readonly TurnEventHub _hub;
    private readonly ServiceOptions _options;
    private readonly DrainDeadline _drainDeadline;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly WorkerMetrics _metrics;

    public Dispatcher(ITurnStore store, PooledTurnRunner runner, PoolRegistry pools, ProfileCatalog profiles, TurnEventHub hub,
        IOptions<ServiceOptions> options, DrainDeadline drainDeadline, TimeProvider timeProvider, ILogger<Dispatcher> logger,
        WorkerMetrics metrics)
    {
        _metrics = metrics;
        _store = store;
        _runner = runner;
        _pools = pools;
        _profiles = profiles;
        _hub = hub;
        _options = options.Value;
        _drainDeadline = drainDeadline;
        _timeProvider = timeProvider;
        _logger = logger;
        InstanceId = _options.InstanceId ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    /// <summary>This worker's name in leases.</summary>
    public string InstanceId { get; }

    /// <summary>True once the dispatcher took back its earlier leases and claims turns.</summary>
    public bool IsStarted { get; private set; }

    /// <summary>Turns running on this worker now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>Wakes the claim loop (a turn was enqueued, or capacity freed).</summary>
    public void Notify() => _signal.Release();

    /// <summary>Cancels a turn running here the family's way; false when it does not run here.</summary>
    public bool TryCancel(string turnId)
    {
        if (!_running.TryGetValue(turnId, out var run))
        {
            return false;
        }

        run.Cancel.Cancel();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // One service per data directory (the lock file sees to it), so every lease in the store is from an earlier run of
        // this worker: take them back at once instead of waiting for them to expire.
        var taken = await _store.ExpireLeasesAsync(null, _timeProvider.GetUtcNow(), stoppingToken);
        if (taken > 0)
        {
            Log.LeasesTakenBack(_logger, taken);
        }

        IsStarted = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var eligible = EligibleProfiles();
                var claimed = eligible.Count == 0 ? null : await _store.ClaimAsync(new ClaimRequest(InstanceId, _options.LeaseDuration, eligible,
                    _pools.All.SelectMany(p => p.BoundConversations()).ToList(), _options.MaxWorkerAttempts), _timeProvider.GetUtcNow(), stoppingToken);
                if (claimed is null)
                {
                    await _signal.WaitAsync(_options.PollInterval, stoppingToken);
                    continue;
                }

                Start(claimed);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The store was unreachable or a turn could not start: log, wait a little, go on. The service stays up.
                Log.ClaimFailed(_logger, ex);
                await Task.Delay(_options.PollInterval, _timeProvider, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Profiles with room for one more turn here; unavailable profiles too, so their turns fail at once.</summary>
    private List<string> EligibleProfiles()
    {
        var byProfile = _running.Values.GroupBy(r => r.Profile, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        return _profiles.All
            .Where(p => !_pools.TryGet(p.Name, out var pool) || byProfile.GetValueOrDefault(p.Name) < pool.Options.MaxProcesses)
            .Select(p => p.Name)
            .ToList();
    }

    private void Start(ClaimedTurn claimed)
    {
        var run = new RunningTurn(claimed.Turn.Profile);
        _running[claimed.Turn.Id] = run;
        run.Task = Task.Run(async () =>
        {
            try
            {
                await RunAsync(claimed, run);
            }
            catch (Exception ex)
            {
                Log.RunFailed(_logger, claimed.Turn.Id, ex);
            }
            finally
            {
                _running.TryRemove(claimed.Turn.Id, out _);
                run.Cancel.Dispose();
                Notify();
            }
        });
    }

    private async Task RunAsync(ClaimedTurn claimed, RunningTurn run)
    {
        var turn = claimed.Turn;
        var started = _timeProvider.GetUtcNow();
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["TurnId"] = turn.Id, ["ConversationId"] = turn.ConversationId });
        await using var sink = new StoreEventSink(_store, _hub, claimed.Lease, _timeProvider, _options.EventFlushInterval,
            turn.LastEventSequence);
        var firstSequence = turn.LastEventSequence;
        if (turn.Attempts > 1)
        {
            // Live readers may have seen events of the lost attempt that never reached the store; a new attempt must not
            // reuse their numbers, or a reader resuming from one of them would skip this attempt's first events.
            // Each attempt's events therefore start in a fresh block of AttemptSequenceBlock numbers.
            firstSequence = Math.Max(firstSequence, (turn.Attempts - 1) * AttemptSequenceBlock);
            // The previous worker died mid-turn: the event stream shows where this attempt starts. Not an agent failure.
            sink.OnEvent(new AttemptStarted(turn.Attempts, "The worker running the previous attempt was lost.") { Sequence = ++firstSequence });
        }

        var submission = TurnSubmission.FromStored(turn.Payload);
        using var heartbeat = new CancellationTokenSource();
        var heartbeats = HeartbeatAsync(claimed.Lease, run, heartbeat.Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancel.Token, sink.LeaseLost);
        if (turn.CancelRequested)
        {
            await run.Cancel.CancelAsync();
        }

        TurnResult result;
        try
        {
            if (submission.Deadline is { } deadline && deadline <= _timeProvider.GetUtcNow())
            {
                // Waited in the queue past the producer's deadline: do not spend a process on it.
                result = FailedWithoutRunning(turn, sink, FailureReasons.DeadlineExceeded, $"The turn's deadline {deadline:O} passed while it was queued.");
            }
            else
            {
                result = await _runner.RunAsync(new TurnRequest
                {
                    Id = turn.Id,
                    ConversationId = turn.ConversationId,
                    Profile = turn.Profile,
                    Prompt = submission.Prompt ?? "",
                    WorkingDirectory = submission.Cwd,
                    Transcript = submission.Transcript?.Select(t => new TranscriptMessage(t.Role ?? "user", t.Text ?? "")).ToList(),
                    EnqueuedAt = turn.EnqueuedAt,
                    Deadline = submission.Deadline,
                    Continued = turn.Sequence > 1,
                }, sink, stop.Token, firstSequence);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug of ours must end this one turn with a reason, not leave it running until its lease expires.
            Log.RunFailed(_logger, turn.Id, ex);
            result = FailedWithoutRunning(turn, sink, FailureReasons.Unclassified, $"The worker failed running the turn: {ex.Message}");
        }
        finally
        {
            await heartbeat.CancelAsync();
            await heartbeats;
        }

        if (run.LeaseLost || sink.LeaseLost.IsCancellationRequested)
        {
            // Someone else owns the turn now (this worker stalled past its lease): it must not write.
            Log.LeaseLost(_logger, turn.Id);
            return;
        }

        await sink.FinishAsync(CancellationToken.None);
        if (run.Shutdown && result.Status == TurnStatus.Cancelled)
        {
            // Stopped by our own shutdown, not by the producer: the next run of the service takes the turn back.
            await _store.ExpireLeasesAsync(InstanceId, _timeProvider.GetUtcNow(), CancellationToken.None);
            return;
        }

        var terminal = sink.Terminal ?? throw new InvalidOperationException($"Turn {turn.Id} ended without a terminal event.");
        var resultJson = JsonSerializer.Serialize(result, WorkersJson.Options);
        var state = result.Status switch
        {
            TurnStatus.Succeeded => TurnState.Succeeded,
            TurnStatus.Cancelled => TurnState.Cancelled,
            _ => TurnState.Failed,
        };
        var now = _timeProvider.GetUtcNow();
        try
        {
            await _store.CompleteAsync(claimed.Lease, new TurnCompletion(state, result.Reason, resultJson, terminal),
                new RunRecord(turn.Id, turn.Attempts, InstanceId, started, now, state.ToString().ToLowerInvariant(), resultJson), now,
                CancellationToken.None);
            _metrics.RecordTurn(result);
            // Live readers get the terminal event only now, so a reader that sees the end can read the final record.
            _hub.Publish(turn.Id, terminal);
        }
        catch (LeaseLostException)
        {
            Log.LeaseLost(_logger, turn.Id);
        }
    }

    private TurnResult FailedWithoutRunning(StoredTurn turn, StoreEventSink sink, string reason, string message)
    {
        sink.OnEvent(new TurnFailed(reason, message) { Sequence = sink.LastSequence + 1 });
        return new TurnResult
        {
            TurnId = turn.Id,
            Profile = turn.Profile,
            Family = _profiles.TryGet(turn.Profile, out var profile) ? profile.Family : "",
            Status = TurnStatus.Failed,
            Reason = reason,
            Message = message,
            Turn = turn.Sequence > 1 ? "continued" : "first",
            Attempts = turn.Attempts,
            Timing = new TurnClock(_timeProvider, turn.EnqueuedAt).Compute(),
        };
    }

    private async Task HeartbeatAsync(TurnLease lease, RunningTurn run, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.LeaseDuration / 3, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (!await _store.RenewAsync(lease, _timeProvider.GetUtcNow() + _options.LeaseDuration, cancellationToken))
                {
                    run.LeaseLost = true;
                    await run.Cancel.CancelAsync();
                    return;
                }

                // A cancel may have been asked of another replica's API.
                if (await _store.GetTurnAsync(lease.TurnId, cancellationToken) is { CancelRequested: true })
                {
                    await run.Cancel.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The turn ended.
        }
        catch (Exception ex)
        {
            Log.HeartbeatFailed(_logger, lease.TurnId, ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop claiming, let running turns finish up to the drain deadline, then stop them; their leases are released
        // so the next run of the service takes them back as a new attempt.
        await base.StopAsync(cancellationToken);
        var drain = Task.WhenAll(_running.Values.Select(r => r.Task ?? Task.CompletedTask));
        await Task.WhenAny(drain, Task.Delay(_drainDeadline.Value, _timeProvider, CancellationToken.None));
        foreach (var run in _running.Values)
        {
            run.Shutdown = true;
            await run.Cancel.CancelAsync();
        }

        await Task.WhenAny(drain, Task.Delay(TimeSpan.FromSeconds(10), _timeProvider, CancellationToken.None));
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    private sealed class RunningTurn(string profile)
    {
        public string Profile { get; } = profile;

        public CancellationTokenSource Cancel { get; } = new();

        public Task? Task { get; set; }

        public volatile bool LeaseLost;

        public volatile bool Shutdown;
    }
}
