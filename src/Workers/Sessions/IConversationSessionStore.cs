namespace Workers.Sessions;

/// <summary>Keeps <see cref="ConversationSession"/>s across restarts. The turn store owns the implementation
/// (a SQLite table by default); the contract tests in <c>tests/</c> apply to any implementation.</summary>
public interface IConversationSessionStore
{
    Task<ConversationSession?> GetAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the conversation's record.</summary>
    Task SaveAsync(ConversationSession session, CancellationToken cancellationToken);

    /// <summary>Removes the conversation's record; no error when there is none.</summary>
    Task ForgetAsync(string conversationId, CancellationToken cancellationToken);
}
