using System.Globalization;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    /// <summary>The schema this build writes, kept in <c>PRAGMA user_version</c>.</summary>
    public const int SchemaVersion = 3;

    // Times are unix milliseconds (INTEGER); states are the lower-case names of TurnState.
    // enqueue_order is the insertion order: an explicit column because VACUUM may renumber an implicit rowid.
    private const string CreateSchemaV1 = """
        CREATE TABLE IF NOT EXISTS turns (
            id                  TEXT    NOT NULL PRIMARY KEY,
            enqueue_order       INTEGER NOT NULL UNIQUE,
            conversation_id     TEXT    NOT NULL,
            sequence            INTEGER NOT NULL,
            profile             TEXT    NOT NULL,
            payload             TEXT    NOT NULL,
            payload_hash        TEXT    NOT NULL,
            state               TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
            attempts            INTEGER NOT NULL DEFAULT 0,
            lease_owner         TEXT,
            lease_expires_at    INTEGER,
            fencing             INTEGER NOT NULL DEFAULT 0,
            enqueued_at         INTEGER NOT NULL,
            claimed_at          INTEGER,
            finished_at         INTEGER,
            cancel_requested    INTEGER NOT NULL DEFAULT 0,
            reason              TEXT,
            result              TEXT,
            last_event_sequence INTEGER NOT NULL DEFAULT 0,
            UNIQUE (conversation_id, sequence)
        );

        -- At most one running turn per conversation, enforced by the database as well as by the claim rule.
        CREATE UNIQUE INDEX IF NOT EXISTS turns_one_running ON turns (conversation_id) WHERE state = 'running';
        -- The claim's "no earlier unfinished turn in the conversation" probe, and its candidate scan.
        CREATE INDEX IF NOT EXISTS turns_active ON turns (conversation_id, sequence) WHERE state IN ('queued', 'running');
        CREATE INDEX IF NOT EXISTS turns_claim_order ON turns (enqueued_at, enqueue_order) WHERE state IN ('queued', 'running');
        -- Retention.
        CREATE INDEX IF NOT EXISTS turns_finished ON turns (finished_at) WHERE finished_at IS NOT NULL;

        CREATE TABLE IF NOT EXISTS events (
            turn_id    TEXT    NOT NULL REFERENCES turns (id),
            sequence   INTEGER NOT NULL,
            type       TEXT    NOT NULL,
            json       TEXT    NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (turn_id, sequence)
        );

        CREATE TABLE IF NOT EXISTS runs (
            turn_id     TEXT    NOT NULL REFERENCES turns (id),
            attempt     INTEGER NOT NULL,
            owner       TEXT    NOT NULL,
            started_at  INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            outcome     TEXT    NOT NULL,
            json        TEXT    NOT NULL,
            PRIMARY KEY (turn_id, attempt)
        );

        CREATE TABLE IF NOT EXISTS conversation_sessions (
            conversation_id   TEXT    NOT NULL PRIMARY KEY,
            profile           TEXT    NOT NULL,
            agent_session_id  TEXT    NOT NULL,
            working_directory TEXT    NOT NULL,
            updated_at        INTEGER NOT NULL
        );
        """;

    // Version 2: a run row is written at claim and completed at the end, so an attempt whose worker was lost stays on
    // record; its end and record are unknown until then (nullable). SQLite cannot relax NOT NULL in place: the table is
    // rebuilt, rows kept. And turns.tool_use_attempt: the attempt that committed a tool use (a re-claim after it must not
    // start the turn over).
    private const string MigrateToV2 = """
        ALTER TABLE turns ADD COLUMN tool_use_attempt INTEGER;
        CREATE TABLE runs_v2 (
            turn_id     TEXT    NOT NULL REFERENCES turns (id),
            attempt     INTEGER NOT NULL,
            owner       TEXT    NOT NULL,
            started_at  INTEGER NOT NULL,
            finished_at INTEGER,
            outcome     TEXT    NOT NULL,
            json        TEXT,
            PRIMARY KEY (turn_id, attempt)
        );
        INSERT INTO runs_v2 (turn_id, attempt, owner, started_at, finished_at, outcome, json)
            SELECT turn_id, attempt, owner, started_at, finished_at, outcome, json FROM runs;
        DROP TABLE runs;
        ALTER TABLE runs_v2 RENAME TO runs;
        """;

    // Version 3: the number of queued turns, kept by triggers on every change of a turn's state (insert, claim, cancel,
    // end, delete), so that an enqueue checks MaxQueuedTurns by reading one row inside its own write transaction instead
    // of counting the queue: the check and the insert are then one atomic step, and stay as fast with a long queue.
    private const string MigrateToV3 = """
        CREATE TABLE queue_count (
            id     INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
            queued INTEGER NOT NULL
        );
        INSERT INTO queue_count (id, queued) SELECT 1, COUNT(*) FROM turns WHERE state = 'queued';
        CREATE TRIGGER turns_queued_on_insert AFTER INSERT ON turns WHEN NEW.state = 'queued'
        BEGIN UPDATE queue_count SET queued = queued + 1 WHERE id = 1; END;
        CREATE TRIGGER turns_queued_on_leave AFTER UPDATE OF state ON turns WHEN OLD.state = 'queued' AND NEW.state <> 'queued'
        BEGIN UPDATE queue_count SET queued = queued - 1 WHERE id = 1; END;
        CREATE TRIGGER turns_queued_on_return AFTER UPDATE OF state ON turns WHEN OLD.state <> 'queued' AND NEW.state = 'queued'
        BEGIN UPDATE queue_count SET queued = queued + 1 WHERE id = 1; END;
        CREATE TRIGGER turns_queued_on_delete AFTER DELETE ON turns WHEN OLD.state = 'queued'
        BEGIN UPDATE queue_count SET queued = queued - 1 WHERE id = 1; END;
        """;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        await Writer.RunAloneAsync(async connection =>
        {
            // The journal mode is a property of the file and cannot change inside a transaction.
            await using var wal = Command(connection, null, "PRAGMA journal_mode = WAL;");
            var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"SQLite refused the WAL journal for '{DatabasePath}' (journal_mode is '{mode}'); the store needs a local file system.");
            }

            return mode;
        }, cancellationToken);

        await WriteAsync(async (connection, transaction) =>
        {
            await using var read = Command(connection, transaction, "PRAGMA user_version;");
            var version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"'{DatabasePath}' has schema version {version}; this build knows up to {SchemaVersion}. Run a newer build or restore a backup.");
            }

            if (version < 1)
            {
                await using var create = Command(connection, transaction, CreateSchemaV1);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            // Later versions migrate here, one step per version, in this same transaction.
            if (version < 2)
            {
                await using var migrate = Command(connection, transaction, MigrateToV2);
                await migrate.ExecuteNonQueryAsync(cancellationToken);
            }

            if (version < 3)
            {
                await using var migrate = Command(connection, transaction, MigrateToV3);
                await migrate.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var write = Command(connection, transaction, $"PRAGMA user_version = {SchemaVersion};");
            await write.ExecuteNonQueryAsync(cancellationToken);
            return version;
        }, cancellationToken);
    }
}
