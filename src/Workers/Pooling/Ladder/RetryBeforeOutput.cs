using Workers.Turns;

namespace Workers.Pooling;

/// <summary>The last rung: an agent process that fails before the turn's first event (it exited, broke the protocol, or
/// never became ready) is replaced and the turn retried on another process, within the turn's <see cref="RetryBudget"/>. After output
/// a failure ends the turn with its reason: the producer has seen part of an answer, and a rerun could repeat tool calls.</summary>
internal static class RetryBeforeOutput
{
    private static readonly HashSet<string> RetryableReasons =
        [FailureReasons.ProcessExitBeforeOutput, FailureReasons.ProtocolError, FailureReasons.StartTimeout, FailureReasons.ProcessStopped];

    /// <summary>True when the attempt's failure is one a rerun on another process may cure (if the budget allows).</summary>
    public static bool Concerns(TurnOutcome outcome, TurnContext turn) =>
        outcome is { Status: TurnStatus.Failed, BeforeOutput: true } && RetryableReasons.Contains(outcome.Reason!) && !turn.HasOutput;

    /// <summary>Tells the producer why the turn starts over, and restarts the turn's clock for the next attempt.</summary>
    public static void StartOver(TurnContext turn, int attempt, string reason, RetryCharge charge)
    {
        var paid = charge == RetryCharge.RetryAfterKill ? " It was killed from outside: not counted against Pool:MaxAttempts." : "";
        turn.Emit(new AgentNotice("process_retry",
            $"Attempt {attempt} lost its process before any output ({reason}); retrying on another process.{paid}"));
        turn.Clock.ResetForRetry();
    }
}
