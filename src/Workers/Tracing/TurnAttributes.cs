using System.Diagnostics;
using Workers.Turns;

namespace Workers.Tracing;

/// <summary>The attributes of a turn's spans (<c>specs/tracing.md</c>): the same words as the record and the metric labels.</summary>
public static class TurnAttributes
{
    public const string TurnId = "workers.turn.id";
    public const string ConversationId = "workers.conversation.id";
    public const string Profile = "workers.profile";
    public const string Family = "workers.family";

    /// <summary>The claim of the turn (the record's <c>attempts</c>: 2 and more after a lost worker).</summary>
    public const string Attempt = "workers.turn.attempt";

    /// <summary>Agent processes the claim used (more than 1 after a retry on another process).</summary>
    public const string ProcessAttempts = "workers.turn.process_attempts";
    public const string Turn = "workers.turn";
    public const string Process = "workers.process";
    public const string Session = "workers.session";
    public const string FallbackReason = "workers.fallback_reason";
    public const string Outcome = "workers.outcome";

    /// <summary>The failure taxonomy's reason, under the OpenTelemetry semantic conventions' name.</summary>
    public const string ErrorType = "error.type";

    public static void SetRecord(Activity span, TurnResult result)
    {
        span.SetTag(Family, result.Family);
        span.SetTag(Turn, result.Turn);
        span.SetTag(ProcessAttempts, result.Attempts);
        span.SetTag(Outcome, result.Status.ToString().ToLowerInvariant());
        if (result.Status != TurnStatus.Succeeded)
        {
            span.SetTag(ErrorType, result.Reason);
        }

        SetRung(span, result);
    }

    /// <summary>The rung of the lease ladder that served the turn, and why a lower one when it fell.</summary>
    public static void SetRung(Activity span, TurnResult result)
    {
        span.SetTag(Process, result.Process);
        span.SetTag(Session, result.Session);
        span.SetTag(FallbackReason, result.FallbackReason);
    }
}
