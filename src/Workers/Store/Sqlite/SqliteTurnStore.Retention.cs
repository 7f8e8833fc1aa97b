using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    /// <summary>Turns deleted per retention transaction.</summary>
    internal int RetentionBatchSize { get; init; } = 200;

    /// <summary>Test seam: runs after each retention transaction has committed, before the next is asked for.</summary>
    internal Func<CancellationToken, Task>? AfterRetentionBatch { get; set; }

    /// <remarks>In transactions of at most <see cref="RetentionBatchSize"/> turns, each one write request: the writes asked for
    /// meanwhile run between them, so claims and event writes wait for one batch, never for the whole history.</remarks>
    public async Task<RetentionResult> ApplyRetentionAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var total = 0;
        var emptied = new List<string>();
        int deleted;
        do
        {
            deleted = await WriteAsync(
                (connection, transaction) => DeleteExpiredBatchAsync(connection, transaction, cutoff, emptied, cancellationToken), cancellationToken);
            total += deleted;
            if (AfterRetentionBatch is { } afterBatch)
            {
                await afterBatch(cancellationToken);
            }
        }
        while (deleted == RetentionBatchSize);

        if (total > 0)
        {
            await CheckpointAsync(cancellationToken);
        }

        return new RetentionResult(total, emptied);
    }

    /// <summary>Deletes up to <see cref="RetentionBatchSize"/> expired turns, oldest first, with their events and runs, and adds
    /// to <paramref name="emptied"/> the conversations of those turns that have no turn left.</summary>
    private async Task<int> DeleteExpiredBatchAsync(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset cutoff,
        List<string> emptied, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using (var select = Command(connection, transaction,
            $"SELECT id FROM turns WHERE finished_at < @cutoff AND state IN {TerminalStates} ORDER BY finished_at LIMIT @batch;"))
        {
            Bind(select, "@cutoff", ToUnixMs(cutoff));
            Bind(select, "@batch", RetentionBatchSize);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
        }

        if (ids.Count == 0)
        {
            return 0;
        }

        var idsJson = JsonSerializer.Serialize(ids);
        await DeleteAsync(connection, transaction, "DELETE FROM events WHERE turn_id IN (SELECT value FROM json_each(@ids));", idsJson,
            cancellationToken);
        await DeleteAsync(connection, transaction, "DELETE FROM runs WHERE turn_id IN (SELECT value FROM json_each(@ids));", idsJson,
            cancellationToken);
        var conversations = new List<string>();
        await using (var select = Command(connection, transaction,
            "SELECT DISTINCT conversation_id FROM turns WHERE id IN (SELECT value FROM json_each(@ids));"))
        {
            Bind(select, "@ids", idsJson);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                conversations.Add(reader.GetString(0));
            }
        }

        var deleted = await DeleteAsync(connection, transaction, "DELETE FROM turns WHERE id IN (SELECT value FROM json_each(@ids));", idsJson,
            cancellationToken);

        // In the same transaction: a conversation named here had no turn when the deletion committed.
        await using (var empty = Command(connection, transaction,
            "SELECT value FROM json_each(@conversations) WHERE NOT EXISTS (SELECT 1 FROM turns WHERE conversation_id = value);"))
        {
            Bind(empty, "@conversations", JsonSerializer.Serialize(conversations));
            await using var reader = await empty.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                emptied.Add(reader.GetString(0));
            }
        }

        return deleted;
    }

    private static async Task<int> DeleteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, string idsJson,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        Bind(command, "@ids", idsJson);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives the space of deleted rows back by truncating the WAL; best effort, since it waits only the busy
    /// timeout for readers to move on.</summary>
    private Task<int> CheckpointAsync(CancellationToken cancellationToken) =>
        Writer.RunAloneAsync(async connection =>
        {
            await using var command = Command(connection, null, "PRAGMA wal_checkpoint(TRUNCATE);");
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
}
