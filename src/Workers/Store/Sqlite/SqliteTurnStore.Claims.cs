using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Workers.Turns;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    /// <summary>What makes a turn of <c>t</c> claimable (specs/store.md, "Claim"): queued, or running under an expired lease;
    /// the earliest unfinished turn of its conversation; of a profile the worker takes; not one the worker still runs. Oldest
    /// first.</summary>
    private const string ClaimableOldestFirst = $"""
        WHERE t.state IN ('{Queued}', '{Running}')
          AND (t.state = '{Queued}' OR t.lease_expires_at < @now)
          AND (@profiles IS NULL OR t.profile IN (SELECT value FROM json_each(@profiles)))
          AND t.id NOT IN (SELECT value FROM json_each(@runningHere))
          AND NOT EXISTS (
                SELECT 1 FROM turns AS e
                WHERE e.conversation_id = t.conversation_id
                  AND e.sequence < t.sequence
                  AND e.state IN ('{Queued}', '{Running}'))
        ORDER BY t.enqueued_at, t.enqueue_order
        LIMIT 1;
        """;

    private const string CandidateColumns =
        "t.id, t.state, t.attempts, t.lease_owner, t.last_event_sequence, t.lease_expires_at, t.profile, t.tool_use_attempt";

    /// <summary>The first claimable turn of the worker's bound conversations: each conversation offers only its earliest
    /// unfinished turn, found through the <c>turns_active</c> index, so the cost follows the number of conversations named,
    /// not the queue.</summary>
    private const string NextClaimableOfPreferred = $"""
        SELECT {CandidateColumns}
        FROM json_each(@preferred) AS p
        JOIN turns AS t ON t.conversation_id = p.value
         AND t.sequence = (SELECT MIN(h.sequence) FROM turns AS h WHERE h.conversation_id = p.value AND h.state IN ('{Queued}', '{Running}'))
        {ClaimableOldestFirst}
        """;

    /// <summary>The first claimable turn of any conversation: a walk of the <c>turns_claim_order</c> index in claim order that
    /// stops at the first claimable turn (an order by anything but that index would sort every live turn for each claim).</summary>
    private const string NextClaimable = $"""
        SELECT {CandidateColumns}
        FROM turns AS t
        {ClaimableOldestFirst}
        """;

    public Task<ClaimedTurn?> ClaimAsync(ClaimRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var claim = new ClaimParameters(request);
        return WriteAtAsync(now, (connection, transaction, at) => ClaimNextAsync(connection, transaction, claim, at, cancellationToken),
            cancellationToken);
    }

    /// <remarks>One transaction (and one commit) for all of them: each claim is the one <see cref="ClaimAsync"/> would make next,
    /// with the profiles that still have room, at the same time.</remarks>
    public Task<IReadOnlyList<ClaimedTurn>> ClaimManyAsync(ClaimRequest request, ClaimCapacity capacity, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        capacity.Validate(request);
        var claim = new ClaimParameters(request);
        return WriteAtAsync<IReadOnlyList<ClaimedTurn>>(now, async (connection, transaction, at) =>
        {
            var claimed = new List<ClaimedTurn>();
            while (capacity.NextRequest(request, claimed) is { } next
                && await ClaimNextAsync(connection, transaction, claim.Narrowed(next), at, cancellationToken) is { } turn)
            {
                claimed.Add(turn);
            }

            return claimed;
        }, cancellationToken);
    }

    /// <summary>Claims the next claimable turn in the caller's transaction, or returns null.</summary>
    private async Task<ClaimedTurn?> ClaimNextAsync(SqliteConnection connection, SqliteTransaction transaction, ClaimParameters claim,
        DateTimeOffset at, CancellationToken cancellationToken)
    {
        var request = claim.Request;
        // Each pass either claims a turn or ends one (worker_lost), so the loop is bounded by the queue.
        while (true)
        {
            // The bound conversations first (specs/store.md, "Claim"), then the rest.
            var candidate = (claim.Preferred is null
                    ? null
                    : await FindCandidateAsync(connection, transaction, NextClaimableOfPreferred, claim, at, cancellationToken))
                ?? await FindCandidateAsync(connection, transaction, NextClaimable, claim, at, cancellationToken);
            if (candidate is null)
            {
                return null;
            }

            if (candidate.WasRunning)
            {
                await MarkRunLostAsync(connection, transaction, candidate, cancellationToken);
            }

            if (candidate.WasRunning && candidate.LostAttemptUsedTools && !claim.IdempotentTools.Contains(candidate.Profile))
            {
                // Starting over would run its tools again (a file written twice, a command run twice).
                await FailLostAsync(connection, transaction, candidate, FailureReasons.WorkerLostAfterToolUse,
                    $"The worker {candidate.LeaseOwner ?? "(unknown)"} stopped renewing the lease of attempt {candidate.Attempts} "
                    + "after the agent had used a tool; the turn is not started over, so that no tool runs twice.", at, cancellationToken);
                Log.TurnFailedWorkerLostAfterToolUse(_logger, candidate.Id, candidate.Attempts, candidate.LeaseOwner);
                continue;
            }

            if (candidate.WasRunning && candidate.Attempts + 1 > request.MaxAttempts)
            {
                await FailLostAsync(connection, transaction, candidate, FailureReasons.WorkerLost,
                    $"The worker {candidate.LeaseOwner ?? "(unknown)"} stopped renewing the lease of attempt {candidate.Attempts}; "
                    + $"the turn has used all {request.MaxAttempts} attempts.", at, cancellationToken);
                Log.TurnFailedWorkerLost(_logger, candidate.Id, candidate.Attempts, request.MaxAttempts, candidate.LeaseOwner);
                continue;
            }

            await using var update = Command(connection, transaction, $"""
                UPDATE turns
                SET state = '{Running}', attempts = attempts + 1, fencing = fencing + 1,
                    lease_owner = @owner, lease_expires_at = @expiresAt, claimed_at = @now
                WHERE id = @id
                RETURNING {TurnColumns};
                """);
            Bind(update, "@owner", request.Owner);
            Bind(update, "@expiresAt", ToUnixMs(at + request.LeaseDuration));
            Bind(update, "@now", ToUnixMs(at));
            Bind(update, "@id", candidate.Id);
            var turn = (await ReadTurnAsync(update, cancellationToken))!;
            await InsertRunAsync(connection, transaction, turn, request.Owner, at, cancellationToken);
            return new ClaimedTurn(turn, new TurnLease(turn.Id, request.Owner, turn.Fencing));
        }
    }

    private static async Task<Candidate?> FindCandidateAsync(SqliteConnection connection, SqliteTransaction transaction, string sql,
        ClaimParameters claim, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var pick = Command(connection, transaction, sql);
        Bind(pick, "@now", ToUnixMs(at));
        Bind(pick, "@profiles", claim.Profiles);
        Bind(pick, "@preferred", claim.Preferred);
        Bind(pick, "@runningHere", claim.RunningHere);
        await using var reader = await pick.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Candidate(reader.GetString(0), reader.GetString(1) == Running, reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.GetString(6), !reader.IsDBNull(7) && reader.GetInt32(7) == reader.GetInt32(2))
            : null;
    }

    public Task<bool> RenewAsync(TurnLease lease, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return WriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, $"""
                UPDATE turns SET lease_expires_at = @expiresAt
                WHERE id = @id AND state = '{Running}' AND lease_owner = @owner AND fencing = @fencing;
                """);
            Bind(command, "@expiresAt", ToUnixMs(expiresAt));
            BindLease(command, lease);
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        }, cancellationToken);
    }

    public Task<int> ExpireLeasesAsync(string? owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            // A millisecond in the past, so that a claim at this same instant already sees the lease as expired.
            await using var command = Command(connection, transaction, $"""
                UPDATE turns SET lease_expires_at = @expiredAt
                WHERE state = '{Running}' AND (@owner IS NULL OR lease_owner = @owner);
                """);
            Bind(command, "@expiredAt", ToUnixMs(now) - 1);
            Bind(command, "@owner", owner);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>Ends a turn whose worker was lost instead of claiming it again (<c>worker_lost</c>,
    /// <c>worker_lost_after_tool_use</c>), with its record and terminal event, in the claim's transaction.</summary>
    private static async Task FailLostAsync(SqliteConnection connection, SqliteTransaction transaction, Candidate candidate, string reason,
        string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var result = new JsonObject
        {
            ["status"] = "failed",
            ["reason"] = reason,
            ["message"] = message,
        }.ToJsonString();
        var sequence = candidate.LastEventSequence + 1;
        var terminal = new JsonObject
        {
            ["type"] = "failed",
            ["reason"] = reason,
            ["message"] = message,
            ["sequence"] = sequence,
        }.ToJsonString();

        await FinishAsync(connection, transaction, candidate.Id, TurnState.Failed, reason, result,
            new StoredEvent(sequence, "failed", terminal, now), now, cancellationToken);
    }

    public Task MarkToolUseAsync(TurnLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return WriteAsync(async (connection, transaction) =>
        {
            await using var command = Command(connection, transaction, $"""
                UPDATE turns SET tool_use_attempt = attempts
                WHERE id = @id AND state = '{Running}' AND lease_owner = @owner AND fencing = @fencing;
                """);
            BindLease(command, lease);
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new LeaseLostException(lease.TurnId, lease.Fencing);
            }

            return true;
        }, cancellationToken);
    }

    private static void BindLease(SqliteCommand command, TurnLease lease)
    {
        Bind(command, "@id", lease.TurnId);
        Bind(command, "@owner", lease.Owner);
        Bind(command, "@fencing", lease.Fencing);
    }

    /// <summary>Every attempt is on record from its claim (specs/store.md, `runs`): a row that its end completes.</summary>
    private static async Task InsertRunAsync(SqliteConnection connection, SqliteTransaction transaction, StoredTurn turn, string owner,
        DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var insert = Command(connection, transaction, $"""
            INSERT INTO runs (turn_id, attempt, owner, started_at, finished_at, outcome, json)
            VALUES (@id, @attempt, @owner, @startedAt, NULL, '{RunOutcomes.Running}', NULL)
            ON CONFLICT (turn_id, attempt) DO UPDATE
            SET owner = excluded.owner, started_at = excluded.started_at, finished_at = NULL, outcome = excluded.outcome, json = NULL;
            """);
        Bind(insert, "@id", turn.Id);
        Bind(insert, "@attempt", turn.Attempts);
        Bind(insert, "@owner", owner);
        Bind(insert, "@startedAt", ToUnixMs(at));
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The attempt whose lease expired ended, as far as anyone can know, when its lease ran out.</summary>
    private static async Task MarkRunLostAsync(SqliteConnection connection, SqliteTransaction transaction, Candidate candidate,
        CancellationToken cancellationToken)
    {
        await using var update = Command(connection, transaction, $"""
            UPDATE runs SET outcome = '{RunOutcomes.Lost}', finished_at = @expiredAt
            WHERE turn_id = @id AND attempt = @attempt AND finished_at IS NULL;
            """);
        Bind(update, "@expiredAt", candidate.LeaseExpiredAt);
        Bind(update, "@id", candidate.Id);
        Bind(update, "@attempt", candidate.Attempts);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A claim request as the claim's statements bind it (the lists as JSON arrays).</summary>
    private sealed class ClaimParameters
    {
        public ClaimParameters(ClaimRequest request)
        {
            ArgumentNullException.ThrowIfNull(request);
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(request.LeaseDuration, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfLessThan(request.MaxAttempts, 1);
            Request = request;
            Profiles = request.Profiles is null ? null : JsonSerializer.Serialize(request.Profiles);
            Preferred = request.PreferredConversations is { Count: > 0 } bound ? JsonSerializer.Serialize(bound) : null;
            RunningHere = JsonSerializer.Serialize(request.RunningHere ?? []);
            IdempotentTools = new HashSet<string>(request.IdempotentToolProfiles ?? [], StringComparer.OrdinalIgnoreCase);
        }

        private ClaimParameters(ClaimParameters bound, ClaimRequest narrowed)
        {
            Request = narrowed;
            Profiles = narrowed.Profiles is null ? null : JsonSerializer.Serialize(narrowed.Profiles);
            Preferred = bound.Preferred;
            RunningHere = bound.RunningHere;
            IdempotentTools = bound.IdempotentTools;
        }

        public ClaimRequest Request { get; }

        /// <summary>These parameters for <paramref name="narrowed"/>, the request with fewer profiles
        /// (<see cref="ClaimCapacity.NextRequest"/>): only the profiles are bound anew, the other lists stay as serialised once.</summary>
        public ClaimParameters Narrowed(ClaimRequest narrowed) =>
            ReferenceEquals(narrowed, Request) ? this : new ClaimParameters(this, narrowed);

        public string? Profiles { get; }

        /// <summary>Null when the worker has no bound conversation: the preferred step is skipped.</summary>
        public string? Preferred { get; }

        public string RunningHere { get; }

        public HashSet<string> IdempotentTools { get; }
    }

    /// <summary>A turn the claim may take; <c>LostAttemptUsedTools</c>: the attempt whose lease expired committed a tool use
    /// (<c>tool_use_attempt</c> is its number).</summary>
    private sealed record Candidate(string Id, bool WasRunning, int Attempts, string? LeaseOwner, long LastEventSequence, long? LeaseExpiredAt,
        string Profile, bool LostAttemptUsedTools);
}
