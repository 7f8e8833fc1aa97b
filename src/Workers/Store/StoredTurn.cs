namespace Workers.Store;

/// <summary>A turn as the store holds it.</summary>
public sealed record StoredTurn
{
    public required string Id { get; init; }

    public required string ConversationId { get; init; }

    /// <summary>The turn's position in its conversation, from 1.</summary>
    public required long Sequence { get; init; }

    public required string Profile { get; init; }

    public required string Payload { get; init; }

    public required string PayloadHash { get; init; }

    public required TurnState State { get; init; }

    /// <summary>Claims so far (1 on the first run; a claim after a lost worker adds one).</summary>
    public required int Attempts { get; init; }

    public string? LeaseOwner { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Raised by every claim; a writer holding an older number is fenced off.</summary>
    public required long Fencing { get; init; }

    public required DateTimeOffset EnqueuedAt { get; init; }

    public DateTimeOffset? ClaimedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public bool CancelRequested { get; init; }

    /// <summary>The failure taxonomy's reason, for failed and cancelled turns.</summary>
    public string? Reason { get; init; }

    /// <summary>The turn record (JSON of the runner's result) once terminal.</summary>
    public string? Result { get; init; }

    /// <summary>The highest event sequence stored for the turn (0 when none).</summary>
    public long LastEventSequence { get; init; }

    public bool IsTerminal => State is TurnState.Succeeded or TurnState.Failed or TurnState.Cancelled;
}
