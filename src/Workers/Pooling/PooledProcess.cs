using Workers.Families;

namespace Workers.Pooling;

/// <summary>One process of a pool with its bookkeeping. State fields change only under the pool's lock.</summary>
public sealed class PooledProcess
{
    private readonly TimeProvider _timeProvider;
    private PoolProcessState _state = PoolProcessState.Starting;

    internal PooledProcess(long id, IAgentConnection connection, LaunchRequest launch, WarmSet set, TimeSpan lifetime, TimeProvider timeProvider)
    {
        Set = set;
        _timeProvider = timeProvider;
        StateSince = timeProvider.GetTimestamp();
        Id = id;
        Connection = connection;
        Launch = launch;
        Lifetime = lifetime;
    }

    /// <summary>The pool's own number for the process (stable in logs, unlike reused pids).</summary>
    public long Id { get; }

    public IAgentConnection Connection { get; }

    public LaunchRequest Launch { get; }

    /// <summary>The warm set of the directory it was launched in: where it goes when it is ready.</summary>
    internal WarmSet Set { get; }

    /// <summary>Its warm set's name (<c>default</c> or a configured one).</summary>
    public string WarmSetName => Set.Name;

    public int ProcessId => Connection.Process.ProcessId;

    public long SpawnedTimestamp => Connection.Process.SpawnedTimestamp;

    public DateTimeOffset StartedAt => Connection.Process.StartedAt;

    /// <summary>This process's lifetime: <c>MaxLifetime</c> less its jitter.</summary>
    public TimeSpan Lifetime { get; }

    public PoolProcessState State
    {
        get => _state;
        internal set
        {
            _state = value;
            StateSince = _timeProvider.GetTimestamp();
        }
    }

    /// <summary>When the process entered its current state (monotonic): how long a lease or a start has lasted.</summary>
    public long StateSince { get; private set; }

    /// <summary>Spawn to ready, when the process was warmed by the pool.</summary>
    public TimeSpan? Warmup { get; internal set; }

    /// <summary>The conversation whose live session the process holds.</summary>
    public string? Conversation { get; internal set; }

    /// <summary>The settings digest the bound session was opened under.</summary>
    public string? Digest { get; internal set; }

    /// <summary>When the process last finished a turn (monotonic).</summary>
    public long LastUsed { get; internal set; }

    /// <summary>Why it was retired.</summary>
    public string? RetireReason { get; internal set; }

    /// <summary>Set when the pool wants the process retired at the end of its current turn.</summary>
    internal bool RetireWhenReleased { get; set; }

    /// <summary>True while the process can take a turn: alive, runnable (not SIGSTOPped), protocol intact.</summary>
    public bool IsUsable => Connection.Process.IsRunnable && Connection.CanServeAnotherTurn;
}
