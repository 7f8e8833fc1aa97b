using Workers.Sessions;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    public async Task<ConversationSession?> GetAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT conversation_id, profile, agent_session_id, working_directory, updated_at
            FROM conversation_sessions WHERE conversation_id = @conversation;
            """);
        Bind(command, "@conversation", conversationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ConversationSession(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), FromUnixMs(reader.GetInt64(4)))
            : null;
    }

    public Task SaveAsync(ConversationSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return WriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, """
                INSERT INTO conversation_sessions (conversation_id, profile, agent_session_id, working_directory, updated_at)
                VALUES (@conversation, @profile, @session, @directory, @updatedAt)
                ON CONFLICT (conversation_id) DO UPDATE SET
                    profile = excluded.profile,
                    agent_session_id = excluded.agent_session_id,
                    working_directory = excluded.working_directory,
                    updated_at = excluded.updated_at;
                """);
            Bind(command, "@conversation", session.ConversationId);
            Bind(command, "@profile", session.Profile);
            Bind(command, "@session", session.AgentSessionId);
            Bind(command, "@directory", session.WorkingDirectory);
            Bind(command, "@updatedAt", ToUnixMs(session.UpdatedAt));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task ForgetAsync(string conversationId, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, "DELETE FROM conversation_sessions WHERE conversation_id = @conversation;");
            Bind(command, "@conversation", conversationId);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
}
