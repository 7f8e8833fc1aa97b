namespace Workers.Sessions;

/// <summary>The durable record of a conversation's agent session: what a later turn resumes when the process that
/// held the session is gone (service restart included).</summary>
public sealed record ConversationSession(string ConversationId, string Profile, string AgentSessionId, string WorkingDirectory, DateTimeOffset UpdatedAt);
