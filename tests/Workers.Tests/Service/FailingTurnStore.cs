using Microsoft.Data.Sqlite;
using Workers.Sessions;
using Workers.Store;

namespace Workers.Tests.Service;

/// <summary>A real store whose turn writes under a lease (events, the turn's end) the test can make fail: the next
/// <c>n</c> of them throw an I/O error without reaching the store, as a store that is down does.</summary>
internal sealed class FailingTurnStore(ITurnStore store, TimeProvider timeProvider) : ITurnStore
{
    /// <summary>SQLITE_IOERR, what a store whose disk went away answers.</summary>
    private const int IoError = 10;

    private readonly Lock _lock = new();
    private readonly List<DateTimeOffset> _failedAt = [];
    private int _toFail;

    /// <summary>When each refused write was tried, on the test's clock.</summary>
    public IReadOnlyList<DateTimeOffset> FailedAt
    {
        get
        {
            lock (_lock)
            {
                return [.. _failedAt];
            }
        }
    }

    /// <summary>The next <paramref name="count"/> writes throw (<see cref="int.MaxValue"/>: until told otherwise);
    /// 0 heals the store.</summary>
    public void FailNextWrites(int count)
    {
        lock (_lock)
        {
            _toFail = count;
        }
    }

    public Task AppendEventsAsync(TurnLease lease, IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return store.AppendEventsAsync(lease, events, cancellationToken);
    }

    public Task CompleteAsync(TurnLease lease, TurnCompletion completion, RunRecord run, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return store.CompleteAsync(lease, completion, run, now, cancellationToken);
    }

    private void ThrowIfFailing()
    {
        lock (_lock)
        {
            if (_toFail == 0)
            {
                return;
            }

            _toFail = _toFail == int.MaxValue ? _toFail : _toFail - 1;
            _failedAt.Add(timeProvider.GetUtcNow());
        }

        throw new SqliteException("disk I/O error (scripted)", IoError);
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

    public Task<(EnqueueOutcome Outcome, StoredTurn Turn)> EnqueueAsync(NewTurn turn, CancellationToken cancellationToken) =>
        store.EnqueueAsync(turn, cancellationToken);

    public Task<StoredTurn?> GetTurnAsync(string turnId, CancellationToken cancellationToken) =>
        store.GetTurnAsync(turnId, cancellationToken);

    public Task<IReadOnlyList<StoredTurn>> ListConversationAsync(string conversationId, CancellationToken cancellationToken) =>
        store.ListConversationAsync(conversationId, cancellationToken);

    public Task<ClaimedTurn?> ClaimAsync(ClaimRequest request, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.ClaimAsync(request, now, cancellationToken);

    public Task<bool> RenewAsync(TurnLease lease, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        store.RenewAsync(lease, expiresAt, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(string turnId, long afterSequence, int max,
        CancellationToken cancellationToken) => store.ReadEventsAsync(turnId, afterSequence, max, cancellationToken);

    public Task<CancelOutcome> RequestCancelAsync(string turnId, StoredEvent terminalEvent, string result, DateTimeOffset now,
        CancellationToken cancellationToken) => store.RequestCancelAsync(turnId, terminalEvent, result, now, cancellationToken);

    public Task<int> ExpireLeasesAsync(string? owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.ExpireLeasesAsync(owner, now, cancellationToken);

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(string turnId, CancellationToken cancellationToken) =>
        store.ListRunsAsync(turnId, cancellationToken);

    public Task<QueueStats> GetQueueStatsAsync(CancellationToken cancellationToken) => store.GetQueueStatsAsync(cancellationToken);

    public Task<IReadOnlyList<string>> ListResultsAsync(string? profile, DateTimeOffset since, CancellationToken cancellationToken) =>
        store.ListResultsAsync(profile, since, cancellationToken);

    public Task<int> ApplyRetentionAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        store.ApplyRetentionAsync(cutoff, cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken) => store.PingAsync(cancellationToken);

    public Task<ConversationSession?> GetAsync(string conversationId, CancellationToken cancellationToken) =>
        store.GetAsync(conversationId, cancellationToken);

    public Task SaveAsync(ConversationSession session, CancellationToken cancellationToken) => store.SaveAsync(session, cancellationToken);

    public Task ForgetAsync(string conversationId, CancellationToken cancellationToken) =>
        store.ForgetAsync(conversationId, cancellationToken);
}
