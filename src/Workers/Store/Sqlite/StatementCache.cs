using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Workers.Store.Sqlite;

/// <summary>Prepared statements kept on one long-lived connection, by SQL text. Microsoft.Data.Sqlite keeps a statement
/// prepared only as long as its command object lives, and the store made a new command for every statement it ran:
/// SQLite parsed and planned the claim query, the event insert and the rest again on every call (statement preparation
/// was 8.8 % of the service's EventPipe samples in the throughput benchmark, 0.4 % with this cache; issue 15). A
/// command handed out here is a <see cref="ReusedCommand"/>: the caller disposes it as any command, which gives it back
/// with its statement still prepared.</summary>
/// <remarks>Only for connections that live long (the writer's, the store's read connections): a cache on a connection
/// opened for one read would prepare as often as before and hold the statements for nothing.</remarks>
internal sealed class StatementCache
{
    /// <summary>Statements kept per connection at most; the store has a few dozen, and SQL built per call would otherwise
    /// grow the cache without bound.</summary>
    public const int MaxStatements = 128;

    private static readonly ConditionalWeakTable<SqliteConnection, StatementCache> Caches = new();

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, ReusedCommand> _commands = new(StringComparer.Ordinal);

    private StatementCache(SqliteConnection connection) => _connection = connection;

    /// <summary>Keeps the statements run on <paramref name="connection"/> from now on (see <see cref="Command"/>).</summary>
    public static void Attach(SqliteConnection connection) => Caches.AddOrUpdate(connection, new StatementCache(connection));

    /// <summary>A command for <paramref name="sql"/> on <paramref name="connection"/> in <paramref name="transaction"/>: the
    /// cached one when the connection has a cache and that command is not in use, a new one otherwise (the same SQL run again
    /// while its reader is still open, or a connection without a cache).</summary>
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        if (Caches.TryGetValue(connection, out var cache) && cache.Rent(sql) is { } reused)
        {
            reused.Transaction = transaction;
            return reused;
        }

        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    // Callers of one connection run one at a time (the writer's loop; a read connection is rented by one read), so the
    // dictionary needs no lock.
    private ReusedCommand? Rent(string sql)
    {
        if (_commands.TryGetValue(sql, out var command) && !command.IsDisposed)
        {
            return command.TryRent() ? command : null;
        }

        // A command the connection's close disposed is replaced: it left the connection's list of commands, so a later
        // close would not finalise its statement.
        if (command is null && _commands.Count >= MaxStatements)
        {
            return null;
        }

        command = new ReusedCommand(_connection, sql);
        _commands[sql] = command;
        return command.TryRent() ? command : null;
    }

    /// <summary>A command whose <see cref="SqliteCommand.Dispose(bool)"/> by its caller hands it back prepared: its parameters
    /// are cleared, its statement stays. Disposed while not handed out (the connection closing disposes its commands), it
    /// really goes, and finalises its statement.</summary>
    private sealed class ReusedCommand : SqliteCommand
    {
        private bool _inUse;

        public ReusedCommand(SqliteConnection connection, string sql)
            : base(sql, connection)
        {
        }

        public bool IsDisposed { get; private set; }

        public bool TryRent()
        {
            if (_inUse)
            {
                return false;
            }

            _inUse = true;
            return true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _inUse)
            {
                Parameters.Clear();
                Transaction = null;
                _inUse = false;
                return;
            }

            IsDisposed = true;
            base.Dispose(disposing);
        }
    }
}
