namespace Workers.Turns;

/// <summary>A turn cannot go on; <see cref="Reason"/> is from <see cref="FailureReasons"/>.</summary>
public class TurnFailedException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = reason;

    /// <summary>True when nothing of the turn reached the producer yet, so another process may retry it.</summary>
    public bool BeforeOutput { get; init; }
}

/// <summary>The agent rejected the session id it was asked to resume: recognised before any retry rule.</summary>
public sealed class StaleSessionException(string sessionId, string message)
    : TurnFailedException(FailureReasons.StaleResume, message)
{
    public string SessionId { get; } = sessionId;
}
