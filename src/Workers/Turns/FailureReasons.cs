namespace Workers.Turns;

/// <summary>The failure taxonomy (<c>specs/failures.md</c>): every failed turn carries one of these.</summary>
public static class FailureReasons
{
    // The producer's.
    public const string Cancelled = "cancelled";
    public const string BadInput = "bad_input";
    public const string DeadlineExceeded = "deadline_exceeded";
    public const string CwdOutsideAllowed = "cwd_outside_allowed";

    // The provider's.
    public const string Auth = "auth";
    public const string RateLimit = "rate_limit";
    public const string Balance = "balance";
    public const string ProviderError = "provider_error";
    public const string ApiRetriesExhausted = "api_retries_exhausted";

    // Ours or the agent's.
    public const string SpawnFailed = "spawn_failed";
    public const string StartTimeout = "start_timeout";
    public const string LeaseTimeout = "lease_timeout";
    public const string ProtocolError = "protocol_error";
    public const string ProcessExitBeforeOutput = "process_exit_before_output";
    public const string ProcessExitMidStream = "process_exit_mid_stream";
    public const string ProcessStopped = "process_stopped";
    public const string FirstTokenTimeout = "first_token_timeout";
    public const string TurnTimeout = "turn_timeout";
    public const string StaleResume = "stale_resume";
    public const string WorkerLost = "worker_lost";
    public const string WorkerLostAfterToolUse = "worker_lost_after_tool_use";
    public const string StoreUnavailable = "store_unavailable";

    /// <summary>In conversation isolation, the conversation's files could not be brought to the process that was to serve it.</summary>
    public const string StateUnavailable = "state_unavailable";
    public const string AgentError = "agent_error";

    /// <summary>A turn that may only take a ready process (a canary, <c>specs/canaries.md</c>) found none free, or producers'
    /// turns waiting: it was not run, so that it never costs a producer a process or a session.</summary>
    public const string NoReadyProcess = "no_ready_process";
    public const string Unclassified = "unclassified";

    /// <summary>Whose failure a reason is: <c>producer</c> (the request), <c>provider</c> (the model API), or
    /// <c>engineering</c> (ours or the agent's: the failures that are somebody's bug to fix).</summary>
    public static string OwnerOf(string? reason) => reason switch
    {
        Cancelled or BadInput or DeadlineExceeded or CwdOutsideAllowed => "producer",
        Auth or RateLimit or Balance or ProviderError or ApiRetriesExhausted => "provider",
        _ => "engineering",
    };

    /// <summary>Every reason, for bounded metric labels: anything else is counted as <see cref="Unclassified"/>.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Cancelled, BadInput, DeadlineExceeded, CwdOutsideAllowed, Auth, RateLimit, Balance, ProviderError, ApiRetriesExhausted, SpawnFailed,
        StartTimeout, LeaseTimeout, ProtocolError, ProcessExitBeforeOutput, ProcessExitMidStream, ProcessStopped, FirstTokenTimeout,
        TurnTimeout, StaleResume, WorkerLost, WorkerLostAfterToolUse, StoreUnavailable, StateUnavailable, AgentError, NoReadyProcess,
        Unclassified,
    };

    /// <summary>The reason as a metric label: a known reason, or <c>unclassified</c>.</summary>
    public static string Bounded(string? reason) => reason is not null && All.Contains(reason) ? reason : Unclassified;
}
