using Workers.Sessions;

namespace Workers.Store;

/// <summary>The durable queue of turns, their events and run records, and the conversations' agent session ids.
/// SQLite is the default; a PostgreSQL implementation must pass the same contract tests
/// (<c>tests/Workers.IntegrationTests/Store/TurnStoreContractTests.cs</c>).</summary>
/// <remarks>
/// Semantics: per-conversation FIFO (a turn is claimable only when every earlier turn of its conversation is terminal);
/// at most one running turn per conversation; a claim takes a lease that heartbeats renew; a running turn whose lease
/// expired is claimed again as attempt n+1, up to <see cref="ClaimRequest.MaxAttempts"/>, after which it fails with
/// <c>worker_lost</c>, or at once with <c>worker_lost_after_tool_use</c> when the lost attempt had committed a tool use
/// (<see cref="MarkToolUseAsync"/>) and its profile's tools are not idempotent; writes under a lost lease throw <see cref="LeaseLostException"/>; failed and cancelled turns do
/// not block later turns of their conversation.
/// </remarks>
public interface ITurnStore : IConversationSessionStore
{
    /// <summary>Creates or upgrades the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Adds a queued turn at the end of its conversation, or finds the same turn enqueued before.</summary>
    Task<(EnqueueOutcome Outcome, StoredTurn Turn)> EnqueueAsync(NewTurn turn, CancellationToken cancellationToken);

    Task<StoredTurn?> GetTurnAsync(string turnId, CancellationToken cancellationToken);

    /// <summary>The turn's state alone (null for an unknown turn): what an event stream checks on each pass without reading
    /// the payload. Once it is terminal, every event of the turn is stored (its end and terminal event are one write).</summary>
    Task<TurnState?> GetTurnStateAsync(string turnId, CancellationToken cancellationToken);

    /// <summary>The conversation's turns in order.</summary>
    Task<IReadOnlyList<StoredTurn>> ListConversationAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>Claims the next turn the worker can run (see remarks), or null.</summary>
    Task<ClaimedTurn?> ClaimAsync(ClaimRequest request, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Claims, in claim order, the turns <see cref="ClaimAsync"/> would claim one after the other, as many as
    /// <paramref name="capacity"/> allows (the profiles with no room left drop out of the request): none when nothing is
    /// claimable.</summary>
    /// <remarks>This default makes one <see cref="ClaimAsync"/> call per turn; a store may take them in one transaction.</remarks>
    async Task<IReadOnlyList<ClaimedTurn>> ClaimManyAsync(ClaimRequest request, ClaimCapacity capacity, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        capacity.Validate(request);
        var claimed = new List<ClaimedTurn>();
        while (capacity.NextRequest(request, claimed) is { } next && await ClaimAsync(next, now, cancellationToken) is { } turn)
        {
            claimed.Add(turn);
        }

        return claimed;
    }

    /// <summary>Extends the lease; false when it is no longer held.</summary>
    Task<bool> RenewAsync(TurnLease lease, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>Records, in its own transaction, that this attempt let the agent use a tool: a re-claim after it does not
    /// start the turn over (see remarks). Idempotent.</summary>
    /// <exception cref="LeaseLostException">The lease is no longer held.</exception>
    Task MarkToolUseAsync(TurnLease lease, CancellationToken cancellationToken);

    /// <summary>Appends events under the lease, in one transaction.</summary>
    /// <exception cref="LeaseLostException">The lease is no longer held.</exception>
    Task AppendEventsAsync(TurnLease lease, IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken);

    /// <summary>Ends the turn under the lease: state, reason, result record, terminal event, and its run record.</summary>
    /// <exception cref="LeaseLostException">The lease is no longer held.</exception>
    Task CompleteAsync(TurnLease lease, TurnCompletion completion, RunRecord run, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Events after <paramref name="afterSequence"/>, in order, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(string turnId, long afterSequence, int max, CancellationToken cancellationToken);

    /// <summary>Cancels a queued turn at once (with its terminal event), or flags a running one for its worker.</summary>
    Task<CancelOutcome> RequestCancelAsync(string turnId, StoredEvent terminalEvent, string result, DateTimeOffset now,
        CancellationToken cancellationToken);

    /// <summary>Expires every lease held by <paramref name="owner"/>'s earlier runs now (a restarted worker takes its turns
    /// back at once instead of waiting for expiry). With <paramref name="owner"/> null, every lease.</summary>
    Task<int> ExpireLeasesAsync(string? owner, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<RunRecord>> ListRunsAsync(string turnId, CancellationToken cancellationToken);

    Task<QueueStats> GetQueueStatsAsync(CancellationToken cancellationToken);

    /// <summary>The records (JSON) of terminal turns of <paramref name="profile"/> (all when null) finished since
    /// <paramref name="since"/>, oldest first: the input of <c>workers report</c>.</summary>
    Task<IReadOnlyList<string>> ListResultsAsync(string? profile, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Deletes terminal turns finished before <paramref name="cutoff"/> with their events and runs; returns how many turns,
    /// and the conversations left with no turn (each named once, by the call that deleted its last turn).</summary>
    Task<RetentionResult> ApplyRetentionAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>The ids of every conversation that has at least one turn: what the orphan sweep keeps the files of.</summary>
    Task<IReadOnlyList<string>> ListConversationIdsAsync(CancellationToken cancellationToken);

    /// <summary>True when the store answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
