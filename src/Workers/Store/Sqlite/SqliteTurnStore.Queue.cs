using System.Globalization;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    private const string TerminalStates = "('succeeded', 'failed', 'cancelled')";

    public Task<(EnqueueOutcome Outcome, StoredTurn Turn)> EnqueueAsync(NewTurn turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return WriteAsync<(EnqueueOutcome, StoredTurn)>(async (connection, transaction) =>
        {
            await using (var find = Command(connection, transaction, $"SELECT {TurnColumns} FROM turns WHERE id = @id;"))
            {
                Bind(find, "@id", turn.Id);
                if (await ReadTurnAsync(find, cancellationToken) is { } existing)
                {
                    return (string.Equals(existing.PayloadHash, turn.PayloadHash, StringComparison.Ordinal)
                        ? EnqueueOutcome.Existing
                        : EnqueueOutcome.Conflict, existing);
                }
            }

            if (turn.QueueLimit is { } limit)
            {
                // Read in the write transaction that inserts: no other enqueue can slip in between (the trigger-kept count).
                await using var count = Command(connection, transaction, "SELECT queued FROM queue_count WHERE id = 1;");
                var queued = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
                if (queued >= limit)
                {
                    throw new QueueFullException(queued, limit);
                }
            }

            // Both numbers come from MAX under the write lock, so concurrent enqueues cannot collide.
            await using var insert = Command(connection, transaction, $"""
                INSERT INTO turns (id, enqueue_order, conversation_id, sequence, profile, payload, payload_hash, state, enqueued_at)
                VALUES (@id,
                        (SELECT COALESCE(MAX(enqueue_order), 0) + 1 FROM turns),
                        @conversation,
                        (SELECT COALESCE(MAX(sequence), 0) + 1 FROM turns WHERE conversation_id = @conversation),
                        @profile, @payload, @hash, '{Queued}', @enqueuedAt)
                RETURNING {TurnColumns};
                """);
            Bind(insert, "@id", turn.Id);
            Bind(insert, "@conversation", turn.ConversationId);
            Bind(insert, "@profile", turn.Profile);
            Bind(insert, "@payload", turn.Payload);
            Bind(insert, "@hash", turn.PayloadHash);
            Bind(insert, "@enqueuedAt", ToUnixMs(turn.EnqueuedAt));
            return (EnqueueOutcome.Created, (await ReadTurnAsync(insert, cancellationToken))!);
        }, cancellationToken);
    }

    public async Task<StoredTurn?> GetTurnAsync(string turnId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"SELECT {TurnColumns} FROM turns WHERE id = @id;");
        Bind(command, "@id", turnId);
        return await ReadTurnAsync(command, cancellationToken);
    }

    public async Task<TurnState?> GetTurnStateAsync(string turnId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT state FROM turns WHERE id = @id;");
        Bind(command, "@id", turnId);
        return await command.ExecuteScalarAsync(cancellationToken) is string state ? ParseState(state) : null;
    }

    public async Task<IReadOnlyList<StoredTurn>> ListConversationAsync(string conversationId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null,
            $"SELECT {TurnColumns} FROM turns WHERE conversation_id = @conversation ORDER BY sequence;");
        Bind(command, "@conversation", conversationId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var turns = new List<StoredTurn>();
        while (await reader.ReadAsync(cancellationToken))
        {
            turns.Add(ReadTurn(reader));
        }

        return turns;
    }

    public async Task<IReadOnlyList<string>> ListResultsAsync(string? profile, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, $"""
            SELECT result FROM turns
            WHERE state IN {TerminalStates} AND result IS NOT NULL AND finished_at >= @since AND (@profile IS NULL OR profile = @profile)
            ORDER BY finished_at;
            """);
        Bind(command, "@since", ToUnixMs(since));
        Bind(command, "@profile", profile);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var results = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            results.Add(reader.GetString(0));
        }

        return results;
    }

    public async Task<QueueStats> GetQueueStatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // One statement, so the counts come from one snapshot.
        await using var command = Command(connection, null, $"""
            SELECT state, profile, COUNT(*), MIN(enqueued_at)
            FROM turns
            WHERE state IN ('{Queued}', '{Running}')
            GROUP BY state, profile;
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        long queued = 0, running = 0;
        long? oldest = null;
        var byProfile = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var count = reader.GetInt64(2);
            if (reader.GetString(0) == Running)
            {
                running += count;
                continue;
            }

            queued += count;
            byProfile[reader.GetString(1)] = count;
            var enqueuedAt = reader.GetInt64(3);
            oldest = oldest is { } o ? Math.Min(o, enqueuedAt) : enqueuedAt;
        }

        return new QueueStats(queued, running, oldest is { } ms ? FromUnixMs(ms) : null, byProfile);
    }
}
