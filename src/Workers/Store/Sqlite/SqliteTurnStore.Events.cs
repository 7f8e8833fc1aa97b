using Microsoft.Data.Sqlite;
using Workers.Turns;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    public Task AppendEventsAsync(TurnLease lease, IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(events);
        return WriteAsync(async (connection, transaction) =>
        {
            await CheckLeaseAsync(connection, transaction, lease, cancellationToken);
            if (events.Count == 0)
            {
                return 0;
            }

            // A sequence stored before is a bug of the writer: the primary key refuses it and the whole batch rolls back.
            await InsertEventsAsync(connection, transaction, lease.TurnId, events, cancellationToken);

            await using var update = Command(connection, transaction,
                "UPDATE turns SET last_event_sequence = MAX(last_event_sequence, @sequence) WHERE id = @id;");
            Bind(update, "@sequence", events.Max(e => e.Sequence));
            Bind(update, "@id", lease.TurnId);
            return await update.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public Task CompleteAsync(TurnLease lease, TurnCompletion completion, RunRecord run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(completion);
        ArgumentNullException.ThrowIfNull(run);
        if (completion.State is TurnState.Queued or TurnState.Running)
        {
            throw new ArgumentException($"A turn ends succeeded, failed or cancelled, not {completion.State}.", nameof(completion));
        }

        if (!string.Equals(run.TurnId, lease.TurnId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The run record is for turn {run.TurnId}, the lease for turn {lease.TurnId}.", nameof(run));
        }

        return WriteAtAsync(now, async (connection, transaction, at) =>
        {
            await CheckLeaseAsync(connection, transaction, lease, cancellationToken);
            await FinishAsync(connection, transaction, lease.TurnId, completion.State, completion.Reason, completion.Result,
                completion.TerminalEvent, at, cancellationToken);

            // The row the claim wrote is completed; its start stays the claim's time.
            await using var insert = Command(connection, transaction, """
                INSERT INTO runs (turn_id, attempt, owner, started_at, finished_at, outcome, json)
                VALUES (@id, @attempt, @owner, @startedAt, @finishedAt, @outcome, @json)
                ON CONFLICT (turn_id, attempt) DO UPDATE
                SET owner = excluded.owner, finished_at = excluded.finished_at, outcome = excluded.outcome, json = excluded.json;
                """);
            Bind(insert, "@id", run.TurnId);
            Bind(insert, "@attempt", run.Attempt);
            Bind(insert, "@owner", run.Owner);
            Bind(insert, "@startedAt", ToUnixMs(run.StartedAt));
            Bind(insert, "@finishedAt", ToUnixMs(run.FinishedAt is { } finished && finished > at ? finished : at));
            Bind(insert, "@outcome", run.Outcome);
            Bind(insert, "@json", run.Json);
            return await insert.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(string turnId, long afterSequence, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT sequence, type, json, created_at FROM events
            WHERE turn_id = @id AND sequence > @after
            ORDER BY sequence
            LIMIT @max;
            """);
        Bind(command, "@id", turnId);
        Bind(command, "@after", afterSequence);
        Bind(command, "@max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(ReadEvent(reader, 0));
        }

        return events;
    }

    public Task<CancelOutcome> RequestCancelAsync(string turnId, StoredEvent terminalEvent, string result, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terminalEvent);
        return WriteAtAsync(now, async (connection, transaction, at) =>
        {
            string state;
            long lastEventSequence;
            await using (var find = Command(connection, transaction, "SELECT state, last_event_sequence FROM turns WHERE id = @id;"))
            {
                Bind(find, "@id", turnId);
                await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return CancelOutcome.NotFound;
                }

                state = reader.GetString(0);
                lastEventSequence = reader.GetInt64(1);
            }

            switch (state)
            {
                case Queued:
                    await FinishAsync(connection, transaction, turnId, TurnState.Cancelled, FailureReasons.Cancelled, result,
                        terminalEvent with { Sequence = lastEventSequence + 1 }, at, cancellationToken);
                    return CancelOutcome.CancelledQueued;
                case Running:
                    await using (var flag = Command(connection, transaction, "UPDATE turns SET cancel_requested = 1 WHERE id = @id;"))
                    {
                        Bind(flag, "@id", turnId);
                        await flag.ExecuteNonQueryAsync(cancellationToken);
                    }

                    return CancelOutcome.CancelRequested;
                default:
                    return CancelOutcome.AlreadyFinished;
            }
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(string turnId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, """
            SELECT turn_id, attempt, owner, started_at, finished_at, outcome, json FROM runs
            WHERE turn_id = @id
            ORDER BY attempt;
            """);
        Bind(command, "@id", turnId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<RunRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new RunRecord(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), FromUnixMs(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : FromUnixMs(reader.GetInt64(4)), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return runs;
    }

    /// <summary>Throws <see cref="LeaseLostException"/> unless the lease's owner and fencing number still hold the running turn.</summary>
    private static async Task CheckLeaseAsync(SqliteConnection connection, SqliteTransaction transaction, TurnLease lease,
        CancellationToken cancellationToken)
    {
        await using var check = Command(connection, transaction,
            $"SELECT 1 FROM turns WHERE id = @id AND state = '{Running}' AND lease_owner = @owner AND fencing = @fencing;");
        BindLease(check, lease);
        if (await check.ExecuteScalarAsync(cancellationToken) is null)
        {
            throw new LeaseLostException(lease.TurnId, lease.Fencing);
        }
    }

    /// <summary>Ends a turn: its terminal state and record, no lease, and its terminal event.</summary>
    private static async Task FinishAsync(SqliteConnection connection, SqliteTransaction transaction, string turnId, TurnState state,
        string? reason, string result, StoredEvent terminalEvent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using (var update = Command(connection, transaction, """
            UPDATE turns
            SET state = @state, reason = @reason, result = @result, finished_at = @now,
                lease_owner = NULL, lease_expires_at = NULL,
                last_event_sequence = MAX(last_event_sequence, @sequence)
            WHERE id = @id;
            """))
        {
            Bind(update, "@state", StateName(state));
            Bind(update, "@reason", reason);
            Bind(update, "@result", result);
            Bind(update, "@now", ToUnixMs(now));
            Bind(update, "@sequence", terminalEvent.Sequence);
            Bind(update, "@id", turnId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await InsertEventsAsync(connection, transaction, turnId, [terminalEvent], cancellationToken);
    }

    /// <summary>Inserts <paramref name="events"/> in order through one statement, prepared once and bound again for each
    /// event: a command per event made SQLite compile the same statement again for every event of a batch.</summary>
    private static async Task InsertEventsAsync(SqliteConnection connection, SqliteTransaction transaction, string turnId,
        IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        await using var insert = Command(connection, transaction,
            "INSERT INTO events (turn_id, sequence, type, json, created_at) VALUES (@id, @sequence, @type, @json, @createdAt);");
        Bind(insert, "@id", turnId);
        var sequence = insert.Parameters.Add("@sequence", SqliteType.Integer);
        var type = insert.Parameters.Add("@type", SqliteType.Text);
        var json = insert.Parameters.Add("@json", SqliteType.Text);
        var createdAt = insert.Parameters.Add("@createdAt", SqliteType.Integer);
        foreach (var stored in events)
        {
            sequence.Value = stored.Sequence;
            type.Value = stored.Type;
            json.Value = stored.Json;
            createdAt.Value = ToUnixMs(stored.CreatedAt);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
