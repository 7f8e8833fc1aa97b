namespace Workers.Families;

/// <summary>The session a turn needs.</summary>
/// <param name="ResumeSessionId">The conversation's known agent session, if any.</param>
/// <param name="WorkingDirectory">The turn's working directory.</param>
public sealed record SessionRequest(string? ResumeSessionId, string WorkingDirectory);

/// <summary>The session a turn got.</summary>
/// <param name="SessionId">The agent's session id (null for plain CLIs, which have none).</param>
/// <param name="Kind">One of <see cref="StartKinds"/> <c>live</c>, <c>prewarmed</c>, <c>resumed</c>, <c>new</c>.</param>
/// <param name="FallbackReason">Why the turn did not get the session it asked for (e.g. the profile cannot resume).</param>
public sealed record SessionOpened(string? SessionId, string Kind, string? FallbackReason = null)
{
    /// <summary>What the session held of the conversation (<see cref="ResumeFidelity"/>); set by the turn once it knows whether
    /// the transcript went into the prompt.</summary>
    public string? Fidelity { get; init; }
}
