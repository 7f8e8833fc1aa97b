namespace Workers.Turns;

/// <summary>A turn to run.</summary>
public sealed record TurnRequest
{
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    public string? ConversationId { get; init; }

    public required string Profile { get; init; }

    public required string Prompt { get; init; }

    /// <summary>The working directory the producer asked for; the profile default when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The conversation's known agent session, to resume.</summary>
    public string? ResumeSessionId { get; init; }

    /// <summary>The messages to replay when the session cannot be resumed.</summary>
    public IReadOnlyList<TranscriptMessage>? Transcript { get; init; }

    public DateTimeOffset? EnqueuedAt { get; init; }

    /// <summary>The producer's deadline for the whole turn.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>True when the conversation had turns before this one (the <c>turn</c> label: first|continued).</summary>
    public bool? Continued { get; init; }

    /// <summary>Run only on a process that is ready now (a canary): fail <c>no_ready_process</c> rather than wait, spawn or
    /// take over a bound session.</summary>
    public bool ReadyProcessOnly { get; init; }

    public bool IsContinued => Continued ?? (ResumeSessionId is not null || Transcript is { Count: > 0 });
}
