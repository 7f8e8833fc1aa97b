using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;

namespace Workers.Store.Sqlite;

/// <summary>The store's read connections, kept open between reads with their prepared statements (<see cref="StatementCache"/>,
/// attached by <c>open</c>) and per-connection settings: a read used to open a pooled connection, run the three settings
/// <c>PRAGMA</c>s and prepare its statement, every time. A read rents one connection for its own duration
/// (<see cref="ReadConnection"/>); at most <see cref="MaxIdle"/> wait between reads, and a burst of concurrent reads beyond
/// that opens more, closed when given back.</summary>
internal sealed class ReadConnectionPool(Func<CancellationToken, Task<SqliteConnection>> open) : IAsyncDisposable
{
    /// <summary>Connections kept open between reads at most. Each holds its statements and its page cache; reads come from the
    /// SSE readers, the API and the dispatcher, rarely more than a few at once.</summary>
    public const int MaxIdle = 8;

    private readonly ConcurrentStack<SqliteConnection> _idle = new();
    private int _idleCount;
    private int _disposed;

    public async Task<ReadConnection> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (_idle.TryPop(out var idle))
        {
            Interlocked.Decrement(ref _idleCount);
            return new ReadConnection(this, idle);
        }

        return new ReadConnection(this, await open(cancellationToken));
    }

    /// <summary>Takes <paramref name="connection"/> back after a read: kept for the next one, or closed when enough wait.</summary>
    public void Return(SqliteConnection connection)
    {
        if (Volatile.Read(ref _disposed) == 0 && connection.State == ConnectionState.Open)
        {
            if (Interlocked.Increment(ref _idleCount) <= MaxIdle)
            {
                _idle.Push(connection);
                // Disposed meanwhile: its drain may have run before the push.
                if (Volatile.Read(ref _disposed) == 1)
                {
                    CloseIdle();
                }

                return;
            }

            Interlocked.Decrement(ref _idleCount);
        }

        connection.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        CloseIdle();
        return ValueTask.CompletedTask;
    }

    private void CloseIdle()
    {
        while (_idle.TryPop(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            connection.Dispose();
        }
    }
}
