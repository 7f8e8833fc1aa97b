using Workers.Pooling;

namespace Workers.Sessions;

/// <summary>Where a conversation's session lives: bound to a live process (held by the pools, valid while profile,
/// working directory and settings digest match) and durably as an agent session id (the store).</summary>
public sealed class SessionRegistry(IConversationSessionStore store, PoolRegistry pools)
{
    /// <summary>The conversation's durable session for <paramref name="profile"/>, if any.</summary>
    public async Task<ConversationSession?> FindAsync(string conversationId, string profile, CancellationToken cancellationToken)
    {
        var session = await store.GetAsync(conversationId, cancellationToken);
        return session is not null && string.Equals(session.Profile, profile, StringComparison.OrdinalIgnoreCase) ? session : null;
    }

    public Task RecordAsync(ConversationSession session, CancellationToken cancellationToken) => store.SaveAsync(session, cancellationToken);

    /// <summary>Clears a session id the agent rejected; the live binding, if any, was already released.</summary>
    public Task ClearStaleAsync(string conversationId, CancellationToken cancellationToken) => store.ForgetAsync(conversationId, cancellationToken);

    /// <summary>Closes a conversation: frees its bound process and forgets its session.</summary>
    public async Task ForgetAsync(string conversationId, CancellationToken cancellationToken)
    {
        pools.ForgetConversation(conversationId);
        await store.ForgetAsync(conversationId, cancellationToken);
    }
}
