using Workers.Turns;

namespace Workers.Pooling;

/// <summary>The rung after <see cref="RetryBeforeOutput"/>: an agent process that dies after streaming only text (no tool
/// call, no permission asked) is replaced and the turn re-run on a new session fed the producer's transcript, behind a
/// <c>retry</c> event that tells readers to discard the text since the last <c>session</c> event, within the turn's <see cref="RetryBudget"/>
/// (<c>specs/pool.md</c>, "Retry after text"). The old session is not used again: it already holds the partial answer.</summary>
internal static class RetryAfterText
{
    /// <summary>Deaths only: a process that exited or was found stopped (and killed) mid-stream. A model or API error, a
    /// timeout or a cancel is the agent's or the producer's answer, and a rerun would only repeat it.</summary>
    private static readonly HashSet<string> RetryableReasons = [FailureReasons.ProcessExitMidStream, FailureReasons.ProcessStopped];

    /// <summary>True when the attempt's process died after text only, and the connection is done with the turn (nothing of
    /// the dead process can still reach the turn's event stream).</summary>
    public static bool Concerns(TurnOutcome outcome, TurnContext turn, bool connectionDone) =>
        outcome is { Status: TurnStatus.Failed, BeforeOutput: false } && RetryableReasons.Contains(outcome.Reason!)
        && turn.HasOutput && !turn.HasToolUse && connectionDone;

    /// <summary>Why such a death cannot be retried whatever the budget, or null when it can.</summary>
    public static string? Refusal(TurnRequest request) =>
        request.IsContinued && request.Transcript is not { Count: > 0 }
            ? "Not retried after text: a new session would not know the conversation, and the turn carries no transcript."
            : null;

    /// <summary>Tells readers to discard the lost run's text, and gives the rerun a turn of its own: same numbering, same clock
    /// (its markers start over), the producer's prompt (the attempt renders the transcript for the new session), no text.</summary>
    public static TurnContext StartOver(TurnContext turn, TurnRequest request, ITurnEventSink sink, TurnOutcome lost)
    {
        turn.Emit(new RetryStarted(lost.Reason!,
            $"The agent process died after text only ({lost.Reason}); the turn starts over on another process and a new session. {lost.Message}"));
        turn.Clock.ResetForRetry();
        return new TurnContext(turn.TurnId, request.Prompt, turn.WorkingDirectory, turn.Clock, sink, turn.Permissions, turn.LastSequence);
    }
}
