namespace Workers.Profiles;

/// <summary>A profile's pool (<c>Workers:Profiles:&lt;name&gt;:Pool</c>, <c>specs/pool.md</c>).</summary>
public sealed class PoolOptions
{
    /// <summary>The default of <see cref="StoppedCheckInterval"/>.</summary>
    public static readonly TimeSpan DefaultStoppedCheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Ready processes kept at all times (the floor of the prewarm target).</summary>
    /// <value>The default is 1.</value>
    public int MinReady { get; set; } = 1;

    /// <summary>The ceiling of the prewarm target.</summary>
    /// <value>The default is 4.</value>
    public int MaxReady { get; set; } = 4;

    /// <summary>All processes of the profile: ready + leased + bound + starting.</summary>
    /// <value>The default is 8.</value>
    public int MaxProcesses { get; set; } = 8;

    /// <summary>The resident memory (MiB) above which an idle process tree (the agent and its children: node plus the CLI it
    /// runs) is retired by the reaper, whether ready or bound (a bound session stays resumable); null: no limit. Agents
    /// that grow with every session or turn (claude-agent-acp without <c>session/close</c>: ~200 MB per session) are
    /// recycled before the host swaps.</summary>
    /// <value>The default is null (no limit).</value>
    public int? MaxProcessRssMiB { get; set; }

    /// <summary>Turns after which a process is recycled.</summary>
    /// <value>The default is 100.</value>
    public int MaxTurnsPerProcess { get; set; } = 100;

    /// <summary>Age after which a process is recycled, spread by <see cref="LifetimeJitter"/> so processes do not all expire together.</summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The fraction of <see cref="MaxLifetime"/> by which each process's lifetime is shortened at random.</summary>
    /// <value>The default is 0.2.</value>
    public double LifetimeJitter { get; set; } = 0.2;

    /// <summary>How long a conversation keeps its live process between turns: the provider prompt-cache TTL.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan SessionIdleTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Spawn to ready (and pre-opened session) for a pooled process; a start that takes longer is failed and retried with backoff.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a turn waits for a process when the pool is at <see cref="MaxProcesses"/>.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Processes of this profile being started at once (a CLI start is CPU-heavy).</summary>
    /// <value>The default is 2.</value>
    public int MaxConcurrentStarts { get; set; } = 2;

    /// <summary>ACP: open a session for the default working directory on each ready process, so a new conversation pays no session_init.</summary>
    /// <value>The default is true.</value>
    public bool PrewarmSession { get; set; } = true;

    /// <summary>Attempts of a turn whose process dies or fails before the turn's first event, or dies after text only.</summary>
    /// <value>The default is 3.</value>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Reruns of a turn whose process was killed from outside (SIGKILL or SIGTERM that Workers did not send, or a
    /// stop), paid before <see cref="MaxAttempts"/> is touched: such a death says nothing about the agent. 0 counts them
    /// against <see cref="MaxAttempts"/> like any other.</summary>
    /// <value>The default is 10.</value>
    public int RetriesAfterKill { get; set; } = 10;

    /// <summary>The first delay after a failed start; it doubles per consecutive failure up to <see cref="StartBackoffMax"/>.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan StartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <value>The default is 60 seconds.</value>
    public TimeSpan StartBackoffMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often every process of the pool (each member of its process group) is checked for a stop (SIGSTOP):
    /// a stopped one is killed, so that no turn waits out a timeout on it.</summary>
    /// <value>The default is 250 milliseconds.</value>
    public TimeSpan StoppedCheckInterval { get; set; } = DefaultStoppedCheckInterval;

    public AdaptivePrewarmOptions Adaptive { get; set; } = new();

    /// <summary>Directories besides the profile's own for which processes are kept ready, each with its own
    /// <c>MinReady</c>, <c>MaxReady</c> and adaptive target (the <see cref="Adaptive"/> settings), all within
    /// <see cref="MaxProcesses"/>. Read at start-up; a reload changes the counts of the directories named then.</summary>
    public List<PrewarmDirectory> WorkingDirectories { get; set; } = [];

    /// <summary>Cron schedules that override <see cref="MinReady"/> by time of day.</summary>
    public List<PoolSchedule> Schedules { get; set; } = [];
}

/// <summary>The prewarm target follows demand: arrival rate × warm-up time × safety factor.</summary>
public sealed class AdaptivePrewarmOptions
{
    /// <value>The default is true.</value>
    public bool Enabled { get; set; } = true;

    /// <value>The default is 2.</value>
    public double SafetyFactor { get; set; } = 2;

    /// <summary>Time constant of the exponentially weighted arrival rate.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a lower target must hold before the pool shrinks by one.</summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan HoldDown { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>From the cron time on, <see cref="MinReady"/> is this value (until the next schedule fires).</summary>
public sealed class PoolSchedule
{
    /// <summary>A Quartz cron expression, e.g. <c>0 0 8 ? * MON-FRI</c>.</summary>
    public string Cron { get; set; } = "";

    public int MinReady { get; set; }
}
