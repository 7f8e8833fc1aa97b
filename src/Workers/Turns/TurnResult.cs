namespace Workers.Turns;

/// <summary>The record of a finished turn: outcome, the rung that served it, and every timing segment.</summary>
public sealed record TurnResult
{
    public required string TurnId { get; init; }

    public required string Profile { get; init; }

    public required string Family { get; init; }

    public required TurnStatus Status { get; init; }

    /// <summary>The failure taxonomy's reason when not succeeded.</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }

    public string Text { get; init; } = "";

    public string? StopReason { get; init; }

    public TokenUsage? Usage { get; init; }

    /// <summary>The agent session the turn ran in: what a later turn resumes.</summary>
    public string? SessionId { get; init; }

    /// <summary><c>warm</c> or <c>cold</c>.</summary>
    public string? Process { get; init; }

    /// <summary><c>live</c>, <c>prewarmed</c>, <c>resumed</c> or <c>new</c>.</summary>
    public string? Session { get; init; }

    /// <summary><c>first</c> or <c>continued</c>.</summary>
    public required string Turn { get; init; }

    /// <summary>What the session held of the conversation: <c>first</c>, <c>live</c>, <c>resumed</c>, <c>transcript</c> or
    /// <c>none</c>; null when the turn got no session.</summary>
    public string? Fidelity { get; init; }

    /// <summary>Why the turn fell to a lower rung of the lease ladder.</summary>
    public string? FallbackReason { get; init; }

    /// <summary>The end of the agent's stderr, kept when the turn failed.</summary>
    public string? StderrTail { get; init; }

    public int Attempts { get; init; } = 1;

    public int? ProcessId { get; init; }

    public required TurnTiming Timing { get; init; }

    /// <summary>The OpenTelemetry trace of the turn (32 hex digits), when it was traced (<c>specs/tracing.md</c>).</summary>
    public string? TraceId { get; init; }
}
