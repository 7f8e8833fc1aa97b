namespace Workers.Running;

/// <summary>Why a turn is refused before any process is involved.</summary>
/// <param name="Reason">The failure reason (<c>FailureReasons</c>).</param>
/// <param name="Message">What was wrong, for the producer.</param>
internal sealed record TurnRejection(string Reason, string Message);
