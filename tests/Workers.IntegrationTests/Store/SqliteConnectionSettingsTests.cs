using Microsoft.Data.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>The per-connection settings of the store's connections (<c>specs/store.md</c>), read back from SQLite on the
/// writer's connection (the read connections are opened by the same method).</summary>
public sealed class SqliteConnectionSettingsTests : SqliteStoreTest
{
    [Theory]
    [InlineData("synchronous", 2L)]
    [InlineData("foreign_keys", 1L)]
    [InlineData("busy_timeout", 5000L)]
    [InlineData("temp_store", 2L)]
    public async Task TheWritersConnection_HasTheStoresSetting(string pragma, long expected)
    {
        var value = await Store.Writer.RunAloneAsync(connection => ReadAsync(connection, pragma), Ct);

        Assert.Equal(expected, value);
    }

    private static async Task<long> ReadAsync(SqliteConnection connection, string pragma)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}
