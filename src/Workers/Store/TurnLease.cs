namespace Workers.Store;

/// <summary>A worker's claim on a running turn. Every write under it is checked against the turn's current owner
/// and fencing number, so a worker that lost the lease cannot append or complete.</summary>
public sealed record TurnLease(string TurnId, string Owner, long Fencing);

/// <summary>A claimed turn and its lease.</summary>
public sealed record ClaimedTurn(StoredTurn Turn, TurnLease Lease);

/// <summary>What a worker can take now.</summary>
/// <param name="Owner">The worker's identity (instance id).</param>
/// <param name="LeaseDuration">How long the lease lasts without a heartbeat.</param>
/// <param name="Profiles">Profiles the worker has capacity for; null means any.</param>
/// <param name="PreferredConversations">Conversations whose bound process lives on this worker: taken first.</param>
/// <param name="MaxAttempts">Claims a turn may have; a turn over it fails <c>worker_lost</c> instead of being claimed again.</param>
/// <param name="RunningHere">Turns the worker is still running: never claimed again by it, even when their lease expired
/// (a heartbeat that could not renew in time) — the worker would run the same prompt twice.</param>
/// <param name="IdempotentToolProfiles">Profiles whose tools may run twice harmlessly (<c>ToolsIdempotent</c>): a turn of
/// theirs lost after a tool use starts over like any other; of every other profile it fails
/// <c>worker_lost_after_tool_use</c>.</param>
public sealed record ClaimRequest(string Owner, TimeSpan LeaseDuration, IReadOnlyCollection<string>? Profiles,
    IReadOnlyCollection<string> PreferredConversations, int MaxAttempts, IReadOnlyCollection<string>? RunningHere = null,
    IReadOnlyCollection<string>? IdempotentToolProfiles = null);

/// <summary>The end of a turn.</summary>
/// <param name="State">Succeeded, failed or cancelled.</param>
/// <param name="Reason">The failure taxonomy's reason (failed, cancelled).</param>
/// <param name="Result">The turn record as JSON.</param>
/// <param name="TerminalEvent">The turn's terminal event, appended in the same transaction.</param>
public sealed record TurnCompletion(TurnState State, string? Reason, string Result, StoredEvent TerminalEvent);

/// <summary>A run of a turn (one attempt on one worker), kept for operators and for the chaos invariants: written at claim
/// (<see cref="RunOutcomes.Running"/>), completed at the turn's end, or marked <see cref="RunOutcomes.Lost"/> when another
/// claim finds its lease expired.</summary>
/// <param name="TurnId">The turn.</param>
/// <param name="Attempt">The attempt's number (the turn's <c>attempts</c> after its claim).</param>
/// <param name="Owner">The worker that claimed it.</param>
/// <param name="StartedAt">When the attempt was claimed.</param>
/// <param name="FinishedAt">When it ended; for a lost attempt, when its lease ran out; null while it runs.</param>
/// <param name="Outcome"><c>running</c>, <c>lost</c>, or the turn's end state (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>).</param>
/// <param name="Json">The turn record the attempt ended with; null unless it ended.</param>
public sealed record RunRecord(string TurnId, int Attempt, string Owner, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Outcome,
    string? Json);

/// <summary>The outcomes of a run that did not end the turn.</summary>
public static class RunOutcomes
{
    /// <summary>The attempt is running (or its worker is gone and no claim has noticed yet).</summary>
    public const string Running = "running";

    /// <summary>Its lease expired and another claim took the turn (or failed it <c>worker_lost</c>).</summary>
    public const string Lost = "lost";
}

/// <summary>What enqueueing did.</summary>
public enum EnqueueOutcome
{
    Created,

    /// <summary>The same id and the same request were enqueued before: the existing turn.</summary>
    Existing,

    /// <summary>The id exists with another request.</summary>
    Conflict,
}

/// <summary>What a cancel request did.</summary>
public enum CancelOutcome
{
    NotFound,

    /// <summary>It was queued: now cancelled, with its terminal event.</summary>
    CancelledQueued,

    /// <summary>It is running: the flag is set for its worker to act on.</summary>
    CancelRequested,

    /// <summary>It had already ended.</summary>
    AlreadyFinished,
}

/// <summary>The queue at a glance: depth and the age of its oldest turn.</summary>
public sealed record QueueStats(long Queued, long Running, DateTimeOffset? OldestQueuedAt, IReadOnlyDictionary<string, long> QueuedByProfile);

/// <summary>A write by a worker whose lease is gone (expired and re-claimed, or taken back at start-up).</summary>
public sealed class LeaseLostException(string turnId, long fencing)
    : Exception($"The lease on turn {turnId} (fencing {fencing}) is no longer held; the write was refused.")
{
    public string TurnId { get; } = turnId;
}
