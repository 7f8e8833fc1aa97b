using Workers.Turns;

namespace Workers.Pooling;

/// <summary>The last rung: an agent process that fails before the turn's first event (it exited, broke the protocol, or
/// never became ready) is replaced and the turn retried on another process, up to <c>Pool:MaxAttempts</c>. After output
/// a failure ends the turn with its reason: the producer has seen part of an answer, and a rerun could repeat tool calls.</summary>
internal static class RetryBeforeOutput
{
    private static readonly HashSet<string> RetryableReasons =
        [FailureReasons.ProcessExitBeforeOutput, FailureReasons.ProtocolError, FailureReasons.StartTimeout, FailureReasons.ProcessStopped];

    /// <summary>True when the attempt's failure may be retried on another process.</summary>
    public static bool Applies(TurnOutcome outcome, TurnContext turn, int attempt, int maxAttempts) =>
        outcome is { Status: TurnStatus.Failed, BeforeOutput: true } && RetryableReasons.Contains(outcome.Reason!)
        && attempt < maxAttempts && !turn.HasOutput;

    /// <summary>Tells the producer why the turn starts over, and restarts the turn's clock for the next attempt.</summary>
    public static void StartOver(TurnContext turn, int attempt, string reason)
    {
        turn.Emit(new AgentNotice("process_retry", $"Attempt {attempt} lost its process before any output ({reason}); retrying on another process."));
        turn.Clock.ResetForRetry();
    }
}
