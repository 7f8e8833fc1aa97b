using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Workers.Store.Sqlite;

/// <summary>The <see cref="ITurnStore"/> in one SQLite file (WAL journal, <c>synchronous=FULL</c>). See
/// <c>specs/store.md</c> for the schema and the claim rule.</summary>
/// <remarks>
/// Every operation takes a pooled connection for its own duration. Writes run in <c>BEGIN IMMEDIATE</c> transactions
/// behind an in-process gate: the gate queues this instance's writers without SQLite's busy-sleep, and
/// <c>BEGIN IMMEDIATE</c> plus the busy timeout serialise them against another instance on the same file.
/// Times are stored as unix milliseconds, so values are truncated to the millisecond.
/// </remarks>
public sealed partial class SqliteTurnStore : ITurnStore, IAsyncDisposable
{
    private const int BusyTimeoutMilliseconds = 5000;

    private readonly string _connectionString;
    private readonly ILogger _logger;

    // Never disposed: an operation still in flight at disposal must be able to release it.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    // The time of the last timed write (claim, end, cancel) taken through the gate; read and written only under it.
    private DateTimeOffset _lastWriteTime = DateTimeOffset.MinValue;
    private int _disposed;

    /// <param name="path">The database file; its directory is created when missing.</param>
    /// <param name="logger">Where the store reports turns it fails on its own (<c>worker_lost</c>).</param>
    public SqliteTurnStore(string path, ILogger<SqliteTurnStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        DatabasePath = fullPath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1;";
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Closing the pooled connections closes the file (and lets SQLite checkpoint and remove the WAL).
            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Opens a connection with the per-connection settings (the journal mode is the file's, set once by
    /// <see cref="InitializeAsync"/>).</summary>
    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {BusyTimeoutMilliseconds};";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction, committed when it returns and rolled back when it
    /// throws.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            // deferred: false is BEGIN IMMEDIATE: the write lock is taken up front, so a transaction never has to
            // upgrade a read snapshot that another writer has moved past (SQLITE_BUSY_SNAPSHOT cannot be retried).
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A write whose times follow commit order: <paramref name="now"/> (read by the caller before it waited for the
    /// gate) is raised to the time of the timed write committed before it. A claim that waited behind a turn's end is then
    /// never stamped earlier than that end, and the stored claims and ends of a conversation never seem to overlap.</summary>
    private Task<T> WriteAtAsync<T>(DateTimeOffset now, Func<SqliteConnection, SqliteTransaction, DateTimeOffset, Task<T>> work,
        CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var at = now > _lastWriteTime ? now : _lastWriteTime;
            var result = await work(connection, transaction, at);
            _lastWriteTime = at;
            return result;
        }, cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}
