using Microsoft.Data.Sqlite;

namespace Workers.Store.Sqlite;

/// <summary>A read connection rented from a <see cref="ReadConnectionPool"/> for one read; disposing gives it back.</summary>
internal readonly struct ReadConnection(ReadConnectionPool pool, SqliteConnection connection) : IAsyncDisposable
{
    public SqliteConnection Connection => connection;

    public ValueTask DisposeAsync()
    {
        pool.Return(connection);
        return ValueTask.CompletedTask;
    }
}
