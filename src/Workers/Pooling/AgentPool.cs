using Microsoft.Extensions.Logging;
using Workers.Families;
using Workers.Isolation;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Pooling;

/// <summary>The warm processes of one profile (<c>specs/pool.md</c>). Ready processes wait in a channel per working
/// directory (<c>AgentPool.WarmSets.cs</c>) whose readers are served first come, first served; everything else (states,
/// bindings, capacity) is a small state machine under one lock. A <c>null</c> in a channel is a wake-up: capacity was
/// freed, so a waiting turn should try again (the Npgsql pool's trick against lost wake-ups).</summary>
public sealed partial class AgentPool : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<PooledProcess> _processes = [];
    private readonly Dictionary<string, PooledProcess> _bound = new(StringComparer.Ordinal);
    private readonly List<Task> _stopping = [];
    private readonly IAgentLauncher _launcher;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    /// <summary>In conversation isolation, what moves conversations' files in and out of the processes' slots; else null.</summary>
    private readonly ConversationHandOver? _handOver;
    private long _nextId;
    private int _reservedSlots;
    private bool _draining;
    private int _disposed;

    public AgentPool(ResolvedProfile profile, IAgentLauncher launcher, TimeProvider timeProvider, ILogger logger)
    {
        Profile = profile;
        Traits = launcher.TraitsOf(profile);
        _launcher = launcher;
        _timeProvider = timeProvider;
        _logger = logger;
        _options = profile.Options.Pool;
        _handOver = profile.Isolation == IsolationMode.Conversation
            ? new ConversationHandOver(new ConversationFiles(profile.DataDirectory, profile), logger)
            : null;
        _sets = CreateWarmSets(profile, timeProvider);
        _startBackoffTimer = timeProvider.CreateTimer(_ => Replenish(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _stoppedSweep = timeProvider.CreateTimer(_ => SweepStopped(), null, _options.StoppedCheckInterval, _options.StoppedCheckInterval);
    }

    public ResolvedProfile Profile { get; }

    /// <summary>What the profile's family says about its processes; the pool decides by these, never by family.</summary>
    public FamilyTraits Traits { get; }

    /// <summary>The pool's settings; replaced as a whole when the configuration is reloaded.</summary>
    public PoolOptions Options => Volatile.Read(ref _options);

    private PoolOptions _options;

    /// <summary>Takes new pool settings (a configuration reload) and refills to them; running processes keep their
    /// lifetimes, a smaller pool shrinks as processes retire.</summary>
    public void UpdateOptions(PoolOptions options)
    {
        Volatile.Write(ref _options, options);
        _stoppedSweep.Change(options.StoppedCheckInterval, options.StoppedCheckInterval);
        Replenish();
    }

    public string Name => Profile.Name;

    /// <summary>Counts since start, for the status page and the metrics.</summary>
    public PoolCounters Counters { get; } = new();

    /// <summary>Raised (outside the lock) when a process leaves the pool, with its reason.</summary>
    public event Action<PooledProcess, string>? ProcessRetired;

    /// <summary>Raised when a pool-started process became ready, with its warm-up time; or failed to start.</summary>
    public event Action<TimeSpan, string>? ProcessStartCompleted;

    /// <summary>The agent CLI's version as it reported it (ACP <c>agentInfo</c>, Claude <c>system/init</c>), once seen.</summary>
    public string? CliVersion { get; private set; }

    /// <summary>A cron schedule's override of <c>MinReady</c>, if one is in force.</summary>
    public int? MinReadyOverride { get; private set; }

    /// <summary>True once every warm set has held its minimum of ready processes (at once where the minimum is 0): what a
    /// start-up probe waits for.</summary>
    public bool HasWarmedUp
    {
        get
        {
            lock (_lock)
            {
                return _sets.All(s => s.HasWarmedUp || MinReadyOf(s) == 0);
            }
        }
    }

    /// <summary>The minimum the pool keeps ready now for the profile's own directory.</summary>
    public int EffectiveMinReady => Math.Min(MinReadyOverride ?? Options.MinReady, Options.MaxReady);

    /// <summary>Sets or clears the scheduled <c>MinReady</c> and refills to it.</summary>
    public void SetMinReadyOverride(int? minReady)
    {
        MinReadyOverride = minReady;
        Replenish();
    }

    /// <summary>Starts filling the pool to its ready target; in conversation isolation, first puts back at rest what a killed
    /// service left in its processes' slots.</summary>
    /// <exception cref="IOException">The conversation folders are not on one file system.</exception>
    public void Start()
    {
        _handOver?.Recover();
        Replenish();
    }

    /// <summary>Waits until the pool holds <paramref name="count"/> ready processes, in all its sets (or the token fires).</summary>
    public async Task WaitForReadyAsync(int count, CancellationToken cancellationToken)
    {
        while (ReadyCount < count)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _timeProvider, cancellationToken);
        }
    }

    public int ReadyCount
    {
        get
        {
            lock (_lock)
            {
                return _sets.Sum(s => s.ReadyCount);
            }
        }
    }

    /// <summary>Spawns a process of this pool and puts it under the pool's bookkeeping (state Starting).</summary>
    /// <exception cref="SpawnFailedException">The executable could not be started.</exception>
    /// <exception cref="Isolation.ConversationStateUnavailableException">The conversation's files could not be brought in.</exception>
    private PooledProcess Launch(LaunchRequest launch, string? filesOf = null)
    {
        IAgentConnection connection;
        if (_handOver is null)
        {
            connection = _launcher.Launch(Profile, launch);
        }
        else
        {
            // The conversation's files are in before the agent starts: a CLI that resumes at launch reads them at once.
            var slot = _handOver.CreateSlot();
            launch = launch with { Slot = slot };
            try
            {
                if (filesOf is not null)
                {
                    _handOver.BringIn(slot, filesOf);
                }

                connection = _launcher.Launch(Profile, launch);
            }
            catch
            {
                _handOver.TakeOut(slot);
                throw;
            }
        }

        var jitter = Options.LifetimeJitter * Random.Shared.NextDouble();
        // A process launched for a turn in a directory without a set belongs to the default one, should it ever be ready.
        var pooled = new PooledProcess(Interlocked.Increment(ref _nextId), connection, launch, HomeSetFor(launch.WorkingDirectory),
            Options.MaxLifetime * (1 - jitter), _timeProvider);
        lock (_lock)
        {
            _reservedSlots--;
            _processes.Add(pooled);
        }

        connection.VersionReported += version => CliVersion = version;
        connection.Process.Exited.ContinueWith(_ => OnExited(pooled), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (_handOver is not null && launch.Slot is { } held)
        {
            // Once the agent is gone, and only then, its conversation's files go back at rest.
            connection.Process.Exited.ContinueWith(_ => _handOver.TakeOut(held), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        Counters.Spawned();
        return pooled;
    }

    /// <summary>Takes a capacity slot for a process about to be launched.</summary>
    private bool TryReserveSlot_NeedsLock()
    {
        if (_processes.Count + _reservedSlots >= Options.MaxProcesses)
        {
            return false;
        }

        _reservedSlots++;
        return true;
    }

    private bool IsExpired_NeedsLock(PooledProcess process) =>
        _timeProvider.GetUtcNow() - process.StartedAt >= process.Lifetime;
}
