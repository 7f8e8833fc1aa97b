namespace Workers.Turns;

/// <summary>The raw markers of a turn: wall times for enqueue and claim, monotonic timestamps for the rest.</summary>
public sealed record TurnMarkers(
    DateTimeOffset EnqueuedAt,
    DateTimeOffset ClaimedAt,
    long Claimed,
    long Leased,
    long? Spawned,
    long? CliReady,
    long? SessionReady,
    long? PromptSent,
    long? FirstToken,
    long? Finished);
