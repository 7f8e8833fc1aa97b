using System.Globalization;
using Microsoft.Data.Sqlite;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>The turn store contract on a real SQLite file in a temporary directory, plus what only SQLite has.</summary>
public sealed class SqliteTurnStoreTests : TurnStoreContractTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-store-").FullName;

    private string DatabasePath => Path.Combine(_directory, "workers.db");

    protected override Task<ITurnStore> CreateStoreAsync() => Task.FromResult<ITurnStore>(new SqliteTurnStore(DatabasePath));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Initialize_Twice_KeepsDataWithWalJournalAndSchemaVersion()
    {
        await EnqueueAsync("a1", "a");

        await Store.InitializeAsync(Ct);

        Assert.NotNull(await Store.GetTurnAsync("a1", Ct));
        Assert.Equal("wal", await PragmaAsync("journal_mode"));
        Assert.Equal(SqliteTurnStore.SchemaVersion, Convert.ToInt32(await PragmaAsync("user_version"), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Initialize_NewerSchemaVersion_Throws()
    {
        await PragmaAsync("user_version = 99");
        await using var store = new SqliteTurnStore(DatabasePath);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(Ct));

        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var store = new SqliteTurnStore(DatabasePath);
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetTurnAsync("a1", Ct));
    }

    private async Task<string?> PragmaAsync(string pragma)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return (await command.ExecuteScalarAsync(Ct))?.ToString();
    }
}
