namespace Workers.Turns;

/// <summary>How a turn ended, as the agent's output showed it.</summary>
public sealed record TurnOutcome(TurnStatus Status, string? Reason, string? Message, string? StopReason, UsageReported? Usage)
{
    /// <summary>For failures: true when nothing of the answer had reached the producer (the turn may be retried elsewhere).</summary>
    public bool BeforeOutput { get; init; }

    public static TurnOutcome Succeeded(string? stopReason, UsageReported? usage) =>
        new(TurnStatus.Succeeded, null, null, stopReason, usage);

    public static TurnOutcome Failed(string reason, string message, bool beforeOutput, UsageReported? usage = null) =>
        new(TurnStatus.Failed, reason, message, null, usage) { BeforeOutput = beforeOutput };

    public static TurnOutcome Cancelled(string? message, UsageReported? usage = null) =>
        new(TurnStatus.Cancelled, FailureReasons.Cancelled, message, "cancelled", usage);
}

public enum TurnStatus
{
    Succeeded,
    Failed,
    Cancelled,
}
