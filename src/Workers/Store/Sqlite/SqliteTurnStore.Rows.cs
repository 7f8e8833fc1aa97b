using Microsoft.Data.Sqlite;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    /// <summary>The columns <see cref="ReadTurn"/> reads, in its order.</summary>
    private const string TurnColumns = """
        id, conversation_id, sequence, profile, payload, payload_hash, state, attempts, lease_owner, lease_expires_at,
        fencing, enqueued_at, claimed_at, finished_at, cancel_requested, reason, result, last_event_sequence
        """;

    private const string Queued = "queued";
    private const string Running = "running";

    private static StoredTurn ReadTurn(SqliteDataReader reader) => new()
    {
        Id = reader.GetString(0),
        ConversationId = reader.GetString(1),
        Sequence = reader.GetInt64(2),
        Profile = reader.GetString(3),
        Payload = reader.GetString(4),
        PayloadHash = reader.GetString(5),
        State = ParseState(reader.GetString(6)),
        Attempts = reader.GetInt32(7),
        LeaseOwner = reader.IsDBNull(8) ? null : reader.GetString(8),
        LeaseExpiresAt = ReadTime(reader, 9),
        Fencing = reader.GetInt64(10),
        EnqueuedAt = FromUnixMs(reader.GetInt64(11)),
        ClaimedAt = ReadTime(reader, 12),
        FinishedAt = ReadTime(reader, 13),
        CancelRequested = reader.GetInt64(14) != 0,
        Reason = reader.IsDBNull(15) ? null : reader.GetString(15),
        Result = reader.IsDBNull(16) ? null : reader.GetString(16),
        LastEventSequence = reader.GetInt64(17),
    };

    private static async Task<StoredTurn?> ReadTurnAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadTurn(reader) : null;
    }

    private static StoredEvent ReadEvent(SqliteDataReader reader, int first) =>
        new(reader.GetInt64(first), reader.GetString(first + 1), reader.GetString(first + 2), FromUnixMs(reader.GetInt64(first + 3)));

    private static string StateName(TurnState state) => state switch
    {
        TurnState.Queued => Queued,
        TurnState.Running => Running,
        TurnState.Succeeded => "succeeded",
        TurnState.Failed => "failed",
        TurnState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Not a turn state."),
    };

    private static TurnState ParseState(string name) => name switch
    {
        Queued => TurnState.Queued,
        Running => TurnState.Running,
        "succeeded" => TurnState.Succeeded,
        "failed" => TurnState.Failed,
        "cancelled" => TurnState.Cancelled,
        _ => throw new InvalidDataException($"Unknown turn state '{name}' in the store."),
    };

    private static long ToUnixMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromUnixMs(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private static DateTimeOffset? ReadTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : FromUnixMs(reader.GetInt64(ordinal));

    private static void Bind(SqliteCommand command, string name, object? value) =>
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
}
