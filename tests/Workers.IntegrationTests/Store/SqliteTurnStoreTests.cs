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
    public async Task Initialize_VersionOneFile_MigratesRunsKeepingTheirRows()
    {
        // Arrange: a version-1 file (no tool use column; a runs table that required an end and a record), with one finished run.
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await ExecuteAsync($$"""
            {{DropVersionThree}}
            PRAGMA user_version = 1;
            ALTER TABLE turns DROP COLUMN tool_use_attempt;
            DROP TABLE runs;
            CREATE TABLE runs (turn_id TEXT NOT NULL REFERENCES turns (id), attempt INTEGER NOT NULL, owner TEXT NOT NULL,
                started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, outcome TEXT NOT NULL, json TEXT NOT NULL,
                PRIMARY KEY (turn_id, attempt));
            INSERT INTO runs VALUES ('b1', 1, 'w0', 1000, 2000, 'failed', '{}')
            """);
        await using var store = new SqliteTurnStore(DatabasePath);

        // Act
        await store.InitializeAsync(Ct);
        var claimed = await store.ClaimAsync(new ClaimRequest("w1", TimeSpan.FromMinutes(1), null, [], 3), T0, Ct);

        // Assert: the old row is kept, and the claim could write its open row (no end yet).
        Assert.Equal(SqliteTurnStore.SchemaVersion, Convert.ToInt32(await PragmaAsync("user_version"), CultureInfo.InvariantCulture));
        Assert.Equal("a1", claimed?.Turn.Id);
        var old = Assert.Single(await store.ListRunsAsync("b1", Ct));
        Assert.Equal(("w0", "failed", (DateTimeOffset?)DateTimeOffset.FromUnixTimeMilliseconds(2000), "{}"), (old.Owner, old.Outcome, old.FinishedAt, old.Json));
        var open = Assert.Single(await store.ListRunsAsync("a1", Ct));
        Assert.Equal((RunOutcomes.Running, (DateTimeOffset?)null, (string?)null), (open.Outcome, open.FinishedAt, open.Json));
    }

    [Fact]
    public async Task Initialize_VersionTwoFile_CountsTheTurnsAlreadyQueued()
    {
        // Arrange: a version-2 file (no queue count) holding two queued turns and a running one.
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await EnqueueAsync("c1", "c", T0.AddSeconds(2));
        await ClaimAsync(T0);
        await ExecuteAsync($"{DropVersionThree} PRAGMA user_version = 2;");
        await using var store = new SqliteTurnStore(DatabasePath);

        // Act
        await store.InitializeAsync(Ct);
        var (third, _) = await store.EnqueueAsync(NewTurn("d1", "d", T0) with { QueueLimit = 3 }, Ct);

        // Assert
        Assert.Equal(EnqueueOutcome.Created, third);
        var full = await Assert.ThrowsAsync<QueueFullException>(() => store.EnqueueAsync(NewTurn("e1", "e", T0) with { QueueLimit = 3 }, Ct));
        Assert.Equal(3L, full.Queued);
    }

    /// <summary>What version 3 added, dropped again to make an older file.</summary>
    private const string DropVersionThree = """
        DROP TRIGGER turns_queued_on_insert; DROP TRIGGER turns_queued_on_leave; DROP TRIGGER turns_queued_on_return;
        DROP TRIGGER turns_queued_on_delete; DROP TABLE queue_count;
        """;

    [Fact]
    public async Task Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var store = new SqliteTurnStore(DatabasePath);
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetTurnAsync("a1", Ct));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
        // The pooled connections opened before cache the old schema; an ALTER prepared on one would be checked against it.
        SqliteConnection.ClearAllPools();
    }

    private Task<string?> PragmaAsync(string pragma) => ScalarAsync($"PRAGMA {pragma};");

    private async Task<string?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync(Ct))?.ToString();
    }
}
