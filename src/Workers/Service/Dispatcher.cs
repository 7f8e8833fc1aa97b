using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Running;
using Workers.Store;

namespace Workers.Service;

/// <summary>Claims turns from the store as pool capacity allows (never a turn it cannot start), conversations bound
/// here first, and runs each as a <see cref="TurnRun"/> (under a heartbeat-renewed lease, its events written in batches
/// and its end under the lease). Takes back its earlier leases at start; drains running turns at stop.</summary>
/// <remarks>The claim loop only: what to claim, when (wake-ups, capacity), which turns run here (cancel lookup, drain).
/// The work of one claimed turn is <see cref="TurnRun"/>'s, so each can be read, and tested, on its own.</remarks>
public sealed partial class Dispatcher : BackgroundService
{
    /// <summary>Event numbers reserved per attempt: attempt n numbers its events from (n − 1) × this + 1.</summary>
    public const long AttemptSequenceBlock = 1_000_000;

    /// <summary>Turns claimed by one store call at most (one transaction, one commit), however many slots are free.</summary>
    private const int MaxClaimsPerCall = 16;

    private readonly ConcurrentDictionary<string, TurnRun> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly ITurnStore _store;
    private readonly PoolRegistry _pools;
    private readonly ProfileCatalog _profiles;
    private readonly ServiceOptions _options;
    private readonly DrainDeadline _drainDeadline;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly TurnRun.Services _turnServices;
    private readonly string[] _idempotentToolProfiles;

    public Dispatcher(ITurnStore store, ITurnRunner runner, PoolRegistry pools, ProfileCatalog profiles, TurnEventHub hub,
        IOptions<ServiceOptions> options, DrainDeadline drainDeadline, TimeProvider timeProvider, ILogger<Dispatcher> logger,
        WorkerMetrics metrics)
    {
        _store = store;
        _pools = pools;
        _profiles = profiles;
        _options = options.Value;
        _drainDeadline = drainDeadline;
        _timeProvider = timeProvider;
        _logger = logger;
        InstanceId = _options.InstanceId ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";
        _turnServices = new TurnRun.Services(store, runner, hub, profiles, _options, timeProvider, logger, metrics, InstanceId);
        _idempotentToolProfiles = [.. profiles.All.Where(p => p.Options.ToolsIdempotent).Select(p => p.Name)];
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

        run.Cancel();
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
                var (eligible, capacity) = FreeCapacity();
                IReadOnlyList<ClaimedTurn> claimed = eligible.Count == 0 ? [] : await _store.ClaimManyAsync(new ClaimRequest(InstanceId,
                    _options.LeaseDuration, eligible, _pools.All.SelectMany(p => p.BoundConversations()).ToList(), _options.MaxWorkerAttempts,
                    [.. _running.Keys], _idempotentToolProfiles), capacity, _timeProvider.GetUtcNow(), stoppingToken);
                if (claimed.Count == 0)
                {
                    await _signal.WaitAsync(_options.PollInterval, stoppingToken);
                    continue;
                }

                foreach (var turn in claimed)
                {
                    Start(turn);
                }
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

    /// <summary>Profiles with room for one more turn here, unavailable profiles too (so their turns fail at once), and how many
    /// turns of each pooled profile still fit: one store call claims up to that.</summary>
    private (List<string> Eligible, ClaimCapacity Capacity) FreeCapacity()
    {
        var byProfile = _running.Values.GroupBy(r => r.Profile, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        var eligible = new List<string>();
        var slots = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var profile in _profiles.All)
        {
            if (!_pools.TryGet(profile.Name, out var pool))
            {
                eligible.Add(profile.Name);
                continue;
            }

            var free = pool.Options.MaxProcesses - byProfile.GetValueOrDefault(profile.Name);
            if (free > 0)
            {
                eligible.Add(profile.Name);
                slots[profile.Name] = free;
            }
        }

        return (eligible, new ClaimCapacity(MaxClaimsPerCall, slots));
    }

    private void Start(ClaimedTurn claimed)
    {
        var run = new TurnRun(claimed, _turnServices);
        if (!_running.TryAdd(claimed.Turn.Id, run))
        {
            // The claim excludes the turns running here, so this is a store that ignored RunningHere: never run a prompt
            // twice. The new lease expires and the turn is taken again once the run here has ended.
            Log.ClaimedWhileRunning(_logger, claimed.Turn.Id, claimed.Turn.Attempts);
            return;
        }

        run.Completion = Task.Run(async () =>
        {
            try
            {
                await run.RunAsync();
            }
            finally
            {
                // By key and run: an entry of another run of the same turn is not this run's to remove.
                _running.TryRemove(new KeyValuePair<string, TurnRun>(claimed.Turn.Id, run));
                Notify();
            }
        });
    }

    /// <summary>Stops claiming, lets running turns finish up to the drain deadline, then stops them; their leases are handed
    /// back so the next run of the service takes them as a new attempt. When the host's own shutdown timeout fires
    /// (<paramref name="cancellationToken"/>) the drain ends at once: the turns are stopped and handed back then.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var drain = Task.WhenAll(_running.Values.Select(r => r.Completion ?? Task.CompletedTask));
        await WaitAsync(drain, _drainDeadline.Value, cancellationToken);
        foreach (var run in _running.Values)
        {
            await run.StopForShutdownAsync();
        }

        await WaitAsync(drain, TimeSpan.FromSeconds(10), CancellationToken.None);
    }

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="limit"/>, or until <paramref name="cancellationToken"/>
    /// fires; never throws for either.</summary>
    private async Task WaitAsync(Task task, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(task, Task.Delay(limit, _timeProvider, wait.Token));
        await wait.CancelAsync();
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}
