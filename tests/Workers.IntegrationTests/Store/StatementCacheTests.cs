using Microsoft.Data.Sqlite;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>Prepared statements kept on a long-lived connection (<see cref="StatementCache"/>), on a real SQLite file.</summary>
public sealed class StatementCacheTests : IAsyncLifetime
{
    private const string Insert = "INSERT INTO items (id, name) VALUES (@id, @name);";
    private const string Select = "SELECT name FROM items ORDER BY id;";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-statement-cache-").FullName;
    private SqliteConnection _connection = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _connection = await OpenAsync();
        await using var create = _connection.CreateCommand();
        create.CommandText = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
        await create.ExecuteNonQueryAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task TheSameSql_GetsTheSameCommandBack_WithItsParametersCleared_AndRunsWithNewValues()
    {
        StatementCache.Attach(_connection);

        var first = StatementCache.Command(_connection, null, Insert);
        first.Parameters.AddWithValue("@id", 1);
        first.Parameters.AddWithValue("@name", "one");
        await first.ExecuteNonQueryAsync(Ct);
        await first.DisposeAsync();

        var second = StatementCache.Command(_connection, null, Insert);
        Assert.Same(first, second);
        Assert.Empty(second.Parameters);
        // The values of the first use are gone: running without new ones is refused, not run with stale values.
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.ExecuteNonQueryAsync(Ct));
        second.Parameters.AddWithValue("@id", 2);
        second.Parameters.AddWithValue("@name", "two");
        await second.ExecuteNonQueryAsync(Ct);
        await second.DisposeAsync();

        Assert.Equal(["one", "two"], await NamesAsync(_connection));
    }

    [Fact]
    public async Task TheSameSql_RunWhileItsCommandIsInUse_GetsASeparateCommand()
    {
        StatementCache.Attach(_connection);
        await InsertAsync(1, "one");
        await InsertAsync(2, "two");

        var names = new List<string>();
        await using (var outer = StatementCache.Command(_connection, null, Select))
        await using (var reader = await outer.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                // The outer reader is still open on the cached command: the inner run must not take it.
                await using var inner = StatementCache.Command(_connection, null, Select);
                Assert.NotSame(outer, inner);
                Assert.Equal(2, (await ReadAllAsync(inner)).Count);
                names.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["one", "two"], names);
    }

    [Fact]
    public async Task InATransaction_TheCachedCommandTakesTheCallersTransaction()
    {
        StatementCache.Attach(_connection);

        await using (var transaction = _connection.BeginTransaction())
        {
            await using (var command = StatementCache.Command(_connection, transaction, Insert))
            {
                command.Parameters.AddWithValue("@id", 1);
                command.Parameters.AddWithValue("@name", "rolled back");
                await command.ExecuteNonQueryAsync(Ct);
            }

            transaction.Rollback();
        }

        // Outside the transaction the same command runs without one.
        await InsertAsync(2, "kept");
        Assert.Equal(["kept"], await NamesAsync(_connection));
    }

    [Fact]
    public async Task AConnectionWithoutACache_GetsANewCommandEachTime()
    {
        await using var first = StatementCache.Command(_connection, null, Select);
        await using var second = StatementCache.Command(_connection, null, Select);

        Assert.NotSame(first, second);
    }

    [Fact]
    public async Task ClosingTheConnection_DisposesItsIdleCachedCommands_AndAReopenedConnectionGetsNewOnes()
    {
        StatementCache.Attach(_connection);
        await InsertAsync(1, "one");
        var before = StatementCache.Command(_connection, null, Select);
        await ReadAllAsync(before);
        await before.DisposeAsync();

        // The close disposes the idle cached command and finalises its statement (else it would hold the old handle).
        await _connection.CloseAsync();
        await _connection.OpenAsync(Ct);

        await using var after = StatementCache.Command(_connection, null, Select);
        Assert.NotSame(before, after);
        Assert.Equal(["one"], await ReadAllAsync(after));
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_directory, "cache.db"),
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(Ct);
        return connection;
    }

    private async Task InsertAsync(int id, string name)
    {
        await using var command = StatementCache.Command(_connection, null, Insert);
        command.Parameters.AddWithValue("@id", id);
        command.Parameters.AddWithValue("@name", name);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<List<string>> NamesAsync(SqliteConnection connection)
    {
        await using var command = StatementCache.Command(connection, null, Select);
        return await ReadAllAsync(command);
    }

    private static async Task<List<string>> ReadAllAsync(SqliteCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var names = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
