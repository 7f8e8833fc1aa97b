using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Workers.Store.Sqlite;

/// <summary>The <see cref="ITurnStore"/> in one SQLite file (WAL journal, <c>synchronous=FULL</c>). See
/// <c>specs/store.md</c> for the schema and the claim rule.</summary>
/// <remarks>
/// Every read rents one of the store's read connections for its own duration (<see cref="ReadConnectionPool"/>). Writes go to
/// one writer (<see cref="GroupCommitWriter"/>) that runs those waiting at the moment in one <c>BEGIN IMMEDIATE</c>
/// transaction on its own connection, each in a savepoint, and answers them after the one commit: this instance's writers
/// never meet in SQLite's busy handler, and <c>BEGIN IMMEDIATE</c> plus the busy timeout serialise them against another
/// instance on the same file.
/// Both kinds of connection stay open and keep their statements prepared (<see cref="StatementCache"/>).
/// Times are stored as unix milliseconds, so values are truncated to the millisecond.
/// </remarks>
public sealed partial class SqliteTurnStore : ITurnStore, IAsyncDisposable
{
    private const int BusyTimeoutMilliseconds = 5000;

    /// <summary>The writer's page cache: SQLite's default (2 MiB); every write goes through this one connection.</summary>
    private const int WriterPageCacheKiB = 2000;

    /// <summary>Each read connection's page cache. Up to <see cref="ReadConnectionPool.MaxIdle"/> of them stay open, and at
    /// SQLite's default of 2 MiB each they could hold 16 MiB of the service's memory for pages the operating system caches
    /// anyway; the reads are point lookups and short ranges.</summary>
    private const int ReadPageCacheKiB = 256;

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly ReadConnectionPool _reads;

    // The time of the last timed write (claim, end, cancel) that ran without throwing; read and written only by the writer's
    // requests, one at a time. A batch whose commit fails leaves it where its writes raised it: later times, never earlier.
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
            // The store keeps its own connections open (the writer's, the read pool's): closing one closes its file handle.
            Pooling = false,
        }.ToString();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Writer = new GroupCommitWriter(cancellationToken => OpenLongLivedConnectionAsync(WriterPageCacheKiB, cancellationToken));
        _reads = new ReadConnectionPool(cancellationToken => OpenLongLivedConnectionAsync(ReadPageCacheKiB, cancellationToken));
    }

    /// <summary>Runs every write of this store (group commit).</summary>
    internal GroupCommitWriter Writer { get; }

    /// <summary>Write transactions committed so far (for tests and the store benchmark).</summary>
    internal long CommitCount => Writer.CommitCount;

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, null, "SELECT 1;");
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <remarks>The writes already asked for are run and committed first.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Writer.DisposeAsync();
            // Closing the last connection closes the file (and lets SQLite checkpoint and remove the WAL). A read still running
            // closes its connection when it gives it back.
            await _reads.DisposeAsync();
        }
    }

    /// <summary>Rents a read connection for one read.</summary>
    private Task<ReadConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        return _reads.RentAsync(cancellationToken);
    }

    /// <summary>Opens a connection that stays open, with the per-connection settings (the journal mode is the file's, set once
    /// by <see cref="InitializeAsync"/>) and its statements kept prepared. No disposal check: the writer still runs the writes
    /// queued before disposal.</summary>
    private async Task<SqliteConnection> OpenLongLivedConnectionAsync(int pageCacheKiB, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            // temp_store: the claim's sort and its IN lists are temporary tables; in files, each claim created and
            // deleted one in the temporary directory (~40 a second under load, ~3.5 % of the service's CPU in ext4).
            command.CommandText = $"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; "
                + $"PRAGMA cache_size = -{pageCacheKiB}; PRAGMA temp_store = MEMORY;";
            await command.ExecuteNonQueryAsync(cancellationToken);
            StatementCache.Attach(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one write transaction, shared with the other writes waiting at the moment
    /// (<see cref="GroupCommitWriter"/>): it ends once that transaction committed, and when <paramref name="work"/> throws, its
    /// writes alone are rolled back.</summary>
    private Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        return Writer.WriteAsync(work, cancellationToken);
    }

    /// <summary>A write whose times follow commit order: <paramref name="now"/> (read by the caller before it waited for the
    /// writer) is raised to the time of the timed write run before it, in the same transaction or an earlier one. A claim that
    /// waited behind a turn's end is then never stamped earlier than that end, and the stored claims and ends of a conversation
    /// never seem to overlap.</summary>
    private Task<T> WriteAtAsync<T>(DateTimeOffset now, Func<SqliteConnection, SqliteTransaction, DateTimeOffset, Task<T>> work,
        CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var at = now > _lastWriteTime ? now : _lastWriteTime;
            var result = await work(connection, transaction, at);
            _lastWriteTime = at;
            return result;
        }, cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql) =>
        StatementCache.Command(connection, transaction, sql);

    private static SqliteCommand Command(ReadConnection connection, SqliteTransaction? transaction, string sql) =>
        StatementCache.Command(connection.Connection, transaction, sql);
}
