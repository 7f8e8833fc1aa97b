using Prometheus;
using Workers.Pooling;
using Workers.Turns;

namespace Workers.Metrics;

/// <summary>Every metric of the service (<c>specs/metrics.md</c>), created from an <see cref="IMetricFactory"/> so tests
/// get an isolated registry. Labels are bounded: never a conversation, turn or process id.</summary>
public sealed class WorkerMetrics
{
    /// <summary>Dense from 5 ms to 60 s: the waits we cut run from a few ms (a live turn's session) to a minute.</summary>
    public static readonly double[] SecondsBuckets =
        [0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 45, 60];

    private static readonly string[] TurnLabels = ["profile", "family", "process", "session", "turn"];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AgentPool> _watched = new(StringComparer.Ordinal);

    public WorkerMetrics(IMetricFactory factory)
    {
        Canaries = new CanaryMetrics(factory);
        Histogram Segment(string name, string help) =>
            factory.CreateHistogram($"workers_turn_{name}_seconds", help, TurnLabels, new HistogramConfiguration { Buckets = SecondsBuckets });

        QueueWait = Segment("queue_wait", "Enqueue to claim.");
        LeaseWait = Segment("lease_wait", "Claim to the turn getting its agent process.");
        CliReady = Segment("cli_ready", "Lease to the CLI's readiness marker (zero on a warm process).");
        SessionInit = Segment("session_init", "Readiness to the session being ready (zero on a live or prewarmed session).");
        ModelFirstToken = Segment("model_first_token", "Session ready (or prompt sent, if later) to the first token: the model's share.");
        Remainder = Segment("remainder", "What is left of spawn_to_first_token after the three segments above.");
        SpawnToFirstToken = Segment("spawn_to_first_token", "Lease to first token: the wait the process and session add.");
        TimeToFirstToken = Segment("time_to_first_token", "Enqueue to first token: what the user feels; the SLO metric.");
        TurnDuration = Segment("duration", "Lease to the end of the turn.");
        ProcessStart = factory.CreateHistogram("workers_process_start_seconds", "Spawn to ready of pooled processes: the warm-up paid before a lease.",
            ["profile", "outcome"], new HistogramConfiguration { Buckets = SecondsBuckets });
        Turns = factory.CreateCounter("workers_turns_total", "Turns ended, by outcome and failure reason.", ["profile", "outcome", "reason", "owner"]);
        Retries = factory.CreateCounter("workers_turn_retries_total",
            "Turn attempts retried on another process, by the reason the attempt failed, what it had emitted (nothing, or text only) "
            + "and what the process died of (agent: on its own, counted against Pool:MaxAttempts; outside_kill: Pool:RetriesAfterKill).",
            ["profile", "reason", "after", "cause"]);
        Fallbacks = factory.CreateCounter("workers_rung_fallbacks_total", "Turns served by a lower rung than they asked for, by reason.",
            ["profile", "reason"]);
        StaleResumes = factory.CreateCounter("workers_stale_resumes_total", "Resumes the agent rejected (the session was unknown to it).", ["profile"]);
        Fidelity = factory.CreateCounter("workers_turn_fidelity_total",
            "Turns that got a session, by what it held of the conversation: first, live, resumed, transcript or none.",
            ["profile", "fidelity"]);
        ProfileResumes = factory.CreateGauge("workers_profile_resumes",
            "1 when the profile's continued turns are meant to keep the agent's own session (it resumes), 0 when a new session fed the "
            + "transcript is its design (Resume=none, plain CLIs).", ["profile"]);
        ProcessStarts = factory.CreateCounter("workers_process_starts_total", "Pooled process starts, by outcome.", ["profile", "outcome"]);
        ProcessExits = factory.CreateCounter("workers_process_exits_total", "Processes that left a pool, by reason.", ["profile", "reason"]);
        InputTokens = factory.CreateCounter("workers_input_tokens_total", "Uncached input tokens the agents reported.", ["profile"]);
        OutputTokens = factory.CreateCounter("workers_output_tokens_total", "Output tokens the agents reported.", ["profile"]);
        CacheReadTokens = factory.CreateCounter("workers_prompt_cache_read_tokens_total", "Prompt-cache read tokens the agents reported.", ["profile"]);
        CacheCreationTokens = factory.CreateCounter("workers_prompt_cache_creation_tokens_total", "Prompt-cache creation tokens the agents reported.",
            ["profile"]);
        PoolProcesses = factory.CreateGauge("workers_pool_processes", "Processes of a pool by state.", ["profile", "state"]);
        PoolAvailable = factory.CreateGauge("workers_pool_available",
            "1 while the pool can serve turns, 0 when it can serve nothing (every start failing, or all capacity stuck).", ["profile"]);
        ReadyTarget = factory.CreateGauge("workers_pool_ready_target", "The pool's current prewarm target.", ["profile"]);
        WarmSetReady = factory.CreateGauge("workers_pool_warm_set_ready_processes",
            "Ready processes of a pool's warm set: the profile's own directory (default) or a Pool:WorkingDirectories entry, by its name.",
            ["profile", "directory"]);
        WarmSetReadyTarget = factory.CreateGauge("workers_pool_warm_set_ready_target", "The prewarm target of a pool's warm set.",
            ["profile", "directory"]);
        BoundSessions = factory.CreateGauge("workers_pool_bound_sessions", "Live sessions held between turns.", ["profile"]);
        WaitingTurns = factory.CreateGauge("workers_pool_waiting_turns", "Turns waiting for a process of the pool.", ["profile"]);
        ResidentMemory = factory.CreateGauge("workers_pool_resident_memory_bytes", "Resident memory of a pool's processes and their children.",
            ["profile"]);
        LargestProcessMemory = factory.CreateGauge("workers_pool_process_resident_memory_max_bytes",
            "Resident memory of the pool's largest process tree (an agent and its children): what Pool:MaxProcessRssMiB is compared with.",
            ["profile"]);
        ProcessMemoryLimit = factory.CreateGauge("workers_pool_process_memory_limit_bytes",
            "Pool:MaxProcessRssMiB in bytes, for profiles that set it: an idle process tree above it is retired (reason memory).",
            ["profile"]);
        QueueDepth = factory.CreateGauge("workers_queue_depth", "Queued turns.", ["profile"]);
        Running = factory.CreateGauge("workers_turns_running", "Turns running in the store (all workers).");
        OldestQueuedAge = factory.CreateGauge("workers_queue_oldest_age_seconds", "Age of the oldest queued turn.");
        BuildInfo = factory.CreateGauge("workers_build_info", "Always 1; the labels say which build runs.", ["version"]);
        CliInfo = factory.CreateGauge("workers_cli_info", "Always 1 per profile; the label is the agent CLI's reported version.", ["profile", "version"]);
        DataBytes = factory.CreateGauge("workers_data_bytes",
            "Bytes of a profile's files in the data directory by kind (homes, workspaces, slots), from the last file sweep.", ["profile", "kind"]);
        DataVolumeFreeBytes = factory.CreateGauge("workers_data_volume_free_bytes",
            "Bytes free for the service on the file system of the data directory.");
        DataVolumeSizeBytes = factory.CreateGauge("workers_data_volume_size_bytes", "Size of the file system of the data directory.");
        ConversationFilesRemoved = factory.CreateCounter("workers_conversation_files_removed_total",
            "Conversation directories (a HOME or a workspace) removed, by cause: delete (DELETE /v1/conversations/{id}), retention, orphan (the file sweep).",
            ["profile", "cause"]);
        TrashEntriesRemoved = factory.CreateCounter("workers_trash_entries_removed_total",
            "Leftovers in the data directory's trash (deletions that had failed) removed by the file sweep.");
        BuildInfo.WithLabels(typeof(WorkerMetrics).Assembly.GetName().Version?.ToString() ?? "unknown").Set(1);
    }

    public Histogram QueueWait { get; }

    public Histogram LeaseWait { get; }

    public Histogram CliReady { get; }

    public Histogram SessionInit { get; }

    public Histogram ModelFirstToken { get; }

    public Histogram Remainder { get; }

    public Histogram SpawnToFirstToken { get; }

    public Histogram TimeToFirstToken { get; }

    public Histogram TurnDuration { get; }

    public Histogram ProcessStart { get; }

    public Counter Turns { get; }

    public Counter Retries { get; }

    public Counter Fallbacks { get; }

    public Counter StaleResumes { get; }

    /// <summary><c>workers_turn_fidelity_total{profile,fidelity}</c> (<c>ResumeFidelity</c>).</summary>
    public Counter Fidelity { get; }

    /// <summary>What the fidelity alert needs to leave <c>Resume=none</c> profiles alone.</summary>
    public Gauge ProfileResumes { get; }

    public Counter ProcessStarts { get; }

    public Counter ProcessExits { get; }

    public Counter InputTokens { get; }

    public Counter OutputTokens { get; }

    public Counter CacheReadTokens { get; }

    public Counter CacheCreationTokens { get; }

    public Gauge PoolProcesses { get; }

    /// <summary><c>workers_pool_available</c>: the pool's availability (<c>specs/pool.md</c>, "Availability").</summary>
    public Gauge PoolAvailable { get; }

    public Gauge ReadyTarget { get; }

    public Gauge WarmSetReady { get; }

    public Gauge WarmSetReadyTarget { get; }

    public Gauge BoundSessions { get; }

    public Gauge WaitingTurns { get; }

    public Gauge ResidentMemory { get; }

    public Gauge LargestProcessMemory { get; }

    public Gauge ProcessMemoryLimit { get; }

    public Gauge QueueDepth { get; }

    public Gauge Running { get; }

    public Gauge OldestQueuedAge { get; }

    public Gauge BuildInfo { get; }

    public Gauge CliInfo { get; }

    /// <summary><c>workers_data_bytes{profile,kind}</c>: set by the file sweep (<c>SweepConversationFilesJob</c>), never at scrape time.</summary>
    public Gauge DataBytes { get; }

    public Gauge DataVolumeFreeBytes { get; }

    public Gauge DataVolumeSizeBytes { get; }

    public Counter ConversationFilesRemoved { get; }

    public Counter TrashEntriesRemoved { get; }

    /// <summary>Records a finished turn: every segment it has (a null segment is not observed, never a fake 0), its outcome,
    /// its fallback, its token counts.</summary>
    public void RecordTurn(TurnResult result)
    {
        var outcome = result.Status.ToString().ToLowerInvariant();
        var reason = result.Status == TurnStatus.Succeeded ? "" : FailureReasons.Bounded(result.Reason);
        Turns.WithLabels(result.Profile, outcome, reason, reason == "" ? "" : FailureReasons.OwnerOf(reason)).Inc();
        if (result.FallbackReason is { } fallback)
        {
            Fallbacks.WithLabels(result.Profile, FallbackReasons.Bounded(fallback)).Inc();
        }

        if (result.Usage is { } usage)
        {
            InputTokens.WithLabels(result.Profile).Inc(usage.InputTokens ?? 0);
            OutputTokens.WithLabels(result.Profile).Inc(usage.OutputTokens ?? 0);
            CacheReadTokens.WithLabels(result.Profile).Inc(usage.CacheReadTokens ?? 0);
            CacheCreationTokens.WithLabels(result.Profile).Inc(usage.CacheCreationTokens ?? 0);
        }

        if (result.Fidelity is { } fidelity)
        {
            Fidelity.WithLabels(result.Profile, fidelity).Inc();
        }

        if (result.Process is null || result.Session is null)
        {
            // Refused or failed before it had a process: only the outcome counts.
            return;
        }

        string[] labels = [result.Profile, result.Family, result.Process, result.Session, result.Turn];
        var timing = result.Timing;
        var exemplar = new TurnExemplar(result);
        QueueWait.WithLabels(labels).Observe(timing.QueueWait.TotalSeconds, exemplar.Next());
        LeaseWait.WithLabels(labels).Observe(timing.LeaseWait.TotalSeconds, exemplar.Next());
        Observe(CliReady, labels, timing.CliReady, exemplar);
        Observe(SessionInit, labels, timing.SessionInit, exemplar);
        Observe(ModelFirstToken, labels, timing.ModelFirstToken, exemplar);
        Observe(Remainder, labels, timing.Remainder, exemplar);
        Observe(SpawnToFirstToken, labels, timing.SpawnToFirstToken, exemplar);
        Observe(TimeToFirstToken, labels, timing.TimeToFirstToken, exemplar);
        Observe(TurnDuration, labels, timing.TurnDuration, exemplar);
    }

    /// <summary>A retry on another process: <paramref name="afterText"/> when the lost attempt had streamed text
    /// (<c>after="text"</c>), else it had emitted nothing (<c>after="nothing"</c>).</summary>
    public void RecordRetry(string profile, string reason, bool afterText, bool afterOutsideKill) =>
        Retries.WithLabels(profile, FailureReasons.Bounded(reason), afterText ? "text" : "nothing", afterOutsideKill ? "outside_kill" : "agent").Inc();

    public void RecordStaleResume(string profile) => StaleResumes.WithLabels(profile).Inc();

    /// <summary>Follows a pool's process starts and exits.</summary>
    /// <summary>The canaries' metrics, apart from the producers'.</summary>
    public CanaryMetrics Canaries { get; }

    /// <summary>A canary's end, with the CLI version of its pool.</summary>
    public void RecordCanary(TurnResult result, DateTimeOffset endedAt) => Canaries.Record(result, CliVersionOf(result.Profile), endedAt);

    /// <summary>A canary not enqueued at its tick, and why, with the CLI version of its pool.</summary>
    public void RecordCanarySkipped(string profile, string reason) => Canaries.RecordSkipped(profile, reason, CliVersionOf(profile));

    /// <summary>The CLI version a watched pool reports, if it has reported one.</summary>
    public string? CliVersionOf(string profile) => _watched.TryGetValue(profile, out var pool) ? pool.CliVersion : null;

    public void Watch(AgentPool pool)
    {
        _watched[pool.Name] = pool;
        pool.ProcessStartCompleted += (duration, outcome) =>
        {
            ProcessStarts.WithLabels(pool.Name, outcome).Inc();
            ProcessStart.WithLabels(pool.Name, outcome).Observe(duration.TotalSeconds);
        };
        pool.ProcessRetired += (_, reason) => ProcessExits.WithLabels(pool.Name, reason).Inc();
    }

    private static void Observe(Histogram histogram, string[] labels, TimeSpan? value, TurnExemplar exemplar)
    {
        if (value is { } v)
        {
            histogram.WithLabels(labels).Observe(v.TotalSeconds, exemplar.Next());
        }
    }
}
