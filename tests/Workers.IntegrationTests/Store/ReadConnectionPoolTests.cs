using System.Data;
using Microsoft.Data.Sqlite;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>The store's read connections kept open between reads (<see cref="ReadConnectionPool"/>), on a real SQLite file.</summary>
public sealed class ReadConnectionPoolTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workers-read-pool-").FullName;
    private int _opened;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task AConnectionGivenBack_IsRentedAgain_WithoutOpeningAnother()
    {
        await using var pool = new ReadConnectionPool(OpenAsync);

        SqliteConnection first;
        await using (var read = await pool.RentAsync(Ct))
        {
            first = read.Connection;
        }

        await using var again = await pool.RentAsync(Ct);

        Assert.Same(first, again.Connection);
        Assert.Equal(1, _opened);
        Assert.Equal(ConnectionState.Open, again.Connection.State);
    }

    [Fact]
    public async Task ReadsAtOnceBeyondMaxIdle_OpenMore_AndTheExtraOnesCloseWhenGivenBack()
    {
        await using var pool = new ReadConnectionPool(OpenAsync);
        var reads = new List<ReadConnection>();
        for (var i = 0; i < ReadConnectionPool.MaxIdle + 2; i++)
        {
            reads.Add(await pool.RentAsync(Ct));
        }

        Assert.Equal(ReadConnectionPool.MaxIdle + 2, reads.Select(r => r.Connection).Distinct().Count());
        foreach (var read in reads)
        {
            await read.DisposeAsync();
        }

        Assert.Equal(ReadConnectionPool.MaxIdle, reads.Count(r => r.Connection.State == ConnectionState.Open));
        Assert.Equal(2, reads.Count(r => r.Connection.State == ConnectionState.Closed));
    }

    [Fact]
    public async Task Disposal_ClosesTheIdleConnections_AndOneGivenBackLater_AndRefusesNewReads()
    {
        var pool = new ReadConnectionPool(OpenAsync);
        var idle = await pool.RentAsync(Ct);
        var stillReading = await pool.RentAsync(Ct);
        await idle.DisposeAsync();

        await pool.DisposeAsync();
        await stillReading.DisposeAsync();

        Assert.Equal(ConnectionState.Closed, idle.Connection.State);
        Assert.Equal(ConnectionState.Closed, stillReading.Connection.State);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pool.RentAsync(Ct));
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_directory, "reads.db"),
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(cancellationToken);
        Interlocked.Increment(ref _opened);
        return connection;
    }
}
