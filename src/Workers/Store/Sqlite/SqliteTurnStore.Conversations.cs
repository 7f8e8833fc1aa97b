namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    /// <remarks>One scan of the <c>(conversation_id, sequence)</c> index.</remarks>
    public async Task<IReadOnlyList<string>> ListConversationIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, "SELECT DISTINCT conversation_id FROM turns;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
