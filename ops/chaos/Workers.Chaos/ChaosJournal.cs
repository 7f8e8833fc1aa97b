namespace Workers.Chaos;

/// <summary>A turn the service accepted (202), as the producer sent it.</summary>
/// <param name="Id">The producer's turn id (also in the prompt, after <c>chaos-turn:</c>).</param>
/// <param name="ConversationId">Its conversation.</param>
/// <param name="Sequence">Its place in its conversation, from 1, in the order the producer enqueued.</param>
/// <param name="UsesTool">The prompt asked the simulated agent to use a tool.</param>
internal sealed record AcceptedTurn(string Id, string ConversationId, int Sequence, bool UsesTool);

/// <summary>One signal sent to an agent process.</summary>
/// <param name="At">When it was sent.</param>
/// <param name="Pid">The process.</param>
/// <param name="StartTime">Its start time in <c>/proc</c>, so a later process with the same pid is not taken for it.</param>
/// <param name="Stage">The process's state as the service listed it: <c>starting</c>, <c>ready</c>, <c>leased</c>, <c>bound</c>.</param>
/// <param name="Signal"><c>SIGKILL</c> or <c>SIGSTOP</c>.</param>
/// <param name="Segment">The service's lifetime it happened in (a restart begins a new one: its counters start over).</param>
internal sealed record AgentKill(DateTimeOffset At, int Pid, long StartTime, string Stage, string Signal, int Segment);

/// <summary>One SIGKILL of the service, and whether its agents were gone 10 s later.</summary>
/// <param name="At">When it was killed.</param>
/// <param name="Agents">Agent pids listed before the kill.</param>
/// <param name="AliveAfter">Those still alive 10 s after the kill.</param>
/// <param name="LastGone">How long after the kill the last of them was gone (null if some were not within 10 s).</param>
internal sealed record ServiceKill(DateTimeOffset At, int Agents, IReadOnlyList<int> AliveAfter, TimeSpan? LastGone);

/// <summary>One lifetime of the service: the agent deaths this run caused in it, and what its <c>/metrics</c> counted.</summary>
/// <param name="Number">1 for the first lifetime, one more after each restart.</param>
/// <param name="ConfirmedDeaths">Processes this run signalled that the service no longer listed when its metrics were read.</param>
/// <param name="ExitsByReason"><c>workers_process_exits_total</c> of the profile, by reason.</param>
internal sealed record Segment(int Number, int ConfirmedDeaths, IReadOnlyDictionary<string, double> ExitsByReason)
{
    /// <summary>Every exit counted, whatever its reason: a process killed while the pool was retiring it for its own reasons
    /// (an LRU eviction, say) is counted under that reason, and that is a count all the same.</summary>
    public double CountedDeaths => ExitsByReason.Values.Sum();
}

/// <summary>What happened during a run, written by the producers, the killers and the service killer at once.</summary>
internal sealed class ChaosJournal
{
    private readonly Lock _lock = new();
    private readonly List<AcceptedTurn> _accepted = [];
    private readonly List<AgentKill> _kills = [];
    private readonly List<ServiceKill> _serviceKills = [];
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<int, double> _warmups = [];
    private int _reserved;

    public int CurrentSegment { get; private set; } = 1;

    /// <summary>Held by an agent kill round, and by the service killer from the end of a lifetime to the restart: a kill
    /// between the two would belong to no lifetime (its process dies with the service, uncounted by either).</summary>
    public SemaphoreSlim LifetimeGate { get; } = new(1, 1);

    public long PeakWorkingSetBytes { get; private set; }

    public IReadOnlyList<AcceptedTurn> Accepted => Snapshot(_accepted);

    public IReadOnlyList<AgentKill> Kills => Snapshot(_kills);

    public IReadOnlyList<ServiceKill> ServiceKills => Snapshot(_serviceKills);

    public IReadOnlyList<Segment> Segments => Snapshot(_segments);

    /// <summary>Warm-ups (spawn to ready, seconds) of every process listed during the run.</summary>
    public IReadOnlyList<double> Warmups
    {
        get
        {
            lock (_lock)
            {
                return [.. _warmups.Values];
            }
        }
    }

    /// <summary>Takes one turn of the budget; false once <paramref name="maxTurns"/> were taken.</summary>
    public bool TryReserveTurn(int? maxTurns) => maxTurns is not { } max || Interlocked.Increment(ref _reserved) <= max;

    /// <summary>True once <paramref name="maxTurns"/> turns were taken: no conversation is started any more.</summary>
    public bool BudgetSpent(int? maxTurns) => maxTurns is { } max && Volatile.Read(ref _reserved) >= max;

    public void Add(AcceptedTurn turn) => Add(_accepted, turn);

    public void Add(AgentKill kill) => Add(_kills, kill);

    public void Add(ServiceKill kill) => Add(_serviceKills, kill);

    public void Close(Segment segment)
    {
        lock (_lock)
        {
            _segments.Add(segment);
            CurrentSegment = segment.Number + 1;
        }
    }

    public void ObserveWarmup(int pid, double seconds)
    {
        lock (_lock)
        {
            _warmups[pid] = seconds;
        }
    }

    public void ObserveWorkingSet(long bytes)
    {
        lock (_lock)
        {
            PeakWorkingSetBytes = Math.Max(PeakWorkingSetBytes, bytes);
        }
    }

    /// <summary>True when this run already signalled that process (a SIGSTOPped one is left for the service to find).</summary>
    public bool WasSignalled(int pid, long startTime)
    {
        lock (_lock)
        {
            return _kills.Exists(k => k.Pid == pid && k.StartTime == startTime);
        }
    }

    private void Add<T>(List<T> list, T item)
    {
        lock (_lock)
        {
            list.Add(item);
        }
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_lock)
        {
            return [.. list];
        }
    }
}
