namespace Workers.Turns;

/// <summary>Why a turn was served by a lower rung of the lease ladder than it asked for (a bounded metric label).</summary>
public static class FallbackReasons
{
    /// <summary>The conversation's bound process had died.</summary>
    public const string BoundProcessGone = "bound_process_gone";

    /// <summary>The bound session no longer matched (settings digest, working directory or session id).</summary>
    public const string BoundSessionMismatch = "bound_session_mismatch";

    /// <summary>Resuming is a launch flag for this family (Claude, codex): a process had to be spawned for it.</summary>
    public const string ResumeNeedsLaunch = "resume_needs_launch";

    /// <summary>Claude/codex fix the working directory at launch; the turn asked for another than the pool's.</summary>
    public const string WorkingDirectoryDiffers = "working_directory_differs";

    /// <summary>In conversation isolation the turn named its own working directory, which is bound into the sandbox at launch.</summary>
    public const string IsolationNeedsLaunch = "isolation_needs_launch";

    /// <summary>In conversation isolation the ready process held files open in its own HOME (opencode's database), so the
    /// conversation's could not be renamed in under it: a process was launched with them instead.</summary>
    public const string StateOpen = "state_open";

    /// <summary>No ready process was left; one was spawned for the turn.</summary>
    public const string NoReadyProcess = "no_ready_process";

    /// <summary>At capacity: the least recently used bound ACP process was handed over.</summary>
    public const string TookOverLruSession = "took_over_lru_session";

    /// <summary>The agent rejected the session: the turn ran on a new one with the transcript.</summary>
    public const string StaleSession = "stale_session";

    /// <summary>The profile never resumes (<c>Resume=none</c>): a new session with the transcript.</summary>
    public const string ResumeDisabled = "resume_disabled";

    /// <summary>The agent offers neither <c>session/resume</c> nor <c>session/load</c> as the profile allows.</summary>
    public const string ResumeUnsupported = "resume_unsupported";

    /// <summary>The family has no sessions (plain): the transcript carries the conversation.</summary>
    public const string NoSessions = "no_sessions";

    /// <summary>The turn's process died after text only: the turn re-ran on a new session with the transcript.</summary>
    public const string RetriedAfterText = "retried_after_text";

    private static readonly HashSet<string> All =
    [
        BoundProcessGone, BoundSessionMismatch, ResumeNeedsLaunch, WorkingDirectoryDiffers, IsolationNeedsLaunch, StateOpen, NoReadyProcess, TookOverLruSession, StaleSession,
        ResumeDisabled, ResumeUnsupported, NoSessions, RetriedAfterText,
    ];

    public static string Bounded(string reason) => All.Contains(reason) ? reason : "other";
}
