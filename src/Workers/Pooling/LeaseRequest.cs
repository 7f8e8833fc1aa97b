namespace Workers.Pooling;

/// <summary>What a turn asks of a pool.</summary>
/// <param name="ConversationId">The conversation, whose bound process is reused when it still matches.</param>
/// <param name="ResumeSessionId">The conversation's known agent session.</param>
/// <param name="WorkingDirectory">The turn's working directory.</param>
/// <param name="Digest">The profile's settings digest: a bound session opened under other settings is not reused.</param>
/// <param name="FilesOf">In conversation isolation, the conversation whose files the process is to hold: the turn's conversation,
/// even when its bound process is not wanted (a rerun after text); null for a turn without one.</param>
/// <param name="ReadyOnly">Take a ready process at once or none (<see cref="NoReadyProcessException"/>): never wait, spawn,
/// or take over a bound session, and never go ahead of turns already waiting. For canaries.</param>
public sealed record LeaseRequest(
    string? ConversationId,
    string? ResumeSessionId,
    string WorkingDirectory,
    string Digest,
    string? FilesOf = null,
    bool ReadyOnly = false);
