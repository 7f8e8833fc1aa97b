using Microsoft.Data.Sqlite;
using Workers.Sessions;
using Workers.Store;

namespace Workers.Tests.Service.Scripted;

/// <summary>The real store behind switches the test throws: lease renewals fail (as a busy or unreachable store's do), and
/// turn writes under a lease (events, a tool use, the turn's end) fail without reaching the store, as a store that is down does, for
/// the next N calls or until healed. Everything else goes through to the real store.</summary>
/// <param name="inner">The real store.</param>
/// <param name="timeProvider">The test's clock, for <see cref="FailedAt"/>.</param>
internal sealed class FaultyTurnStore(ITurnStore inner, TimeProvider? timeProvider = null) : ITurnStore
{
    /// <summary>SQLITE_IOERR, what a store whose disk went away answers.</summary>
    private const int IoError = 10;

    private readonly SemaphoreSlim _renewalFailed = new(0);
    private readonly Lock _writesLock = new();
    private readonly List<DateTimeOffset> _failedAt = [];
    private int _renewalsToFail;
    private int _writesToFail;

    /// <summary>When each refused turn write was tried, on the test's clock.</summary>
    public IReadOnlyList<DateTimeOffset> FailedAt
    {
        get
        {
            lock (_writesLock)
            {
                return [.. _failedAt];
            }
        }
    }

    /// <summary>The next <paramref name="count"/> turn writes throw (<see cref="int.MaxValue"/>: until told otherwise);
    /// 0 heals the store.</summary>
    public void FailNextWrites(int count)
    {
        lock (_writesLock)
        {
            _writesToFail = count;
        }
    }

    /// <summary>The next <paramref name="count"/> renewals fail; <see cref="int.MaxValue"/> plays a store that stays down.</summary>
    public void FailRenewals(int count) => Volatile.Write(ref _renewalsToFail, count);

    /// <summary>Completes when the next renewal failure (not yet waited for) has happened.</summary>
    public Task RenewalFailedAsync() => _renewalFailed.WaitAsync(Bounded.Unexpected, TestContext.Current.CancellationToken)
        .ContinueWith(t => Assert.True(t.Result, "No renewal failed."), TaskScheduler.Default);

    public Task<bool> RenewAsync(TurnLease lease, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _renewalsToFail) >= 0)
        {
            _renewalFailed.Release();
            return Task.FromException<bool>(new IOException("The store did not answer (scripted)."));
        }

        Interlocked.Exchange(ref _renewalsToFail, 0);
        return inner.RenewAsync(lease, expiresAt, cancellationToken);
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<(EnqueueOutcome Outcome, StoredTurn Turn)> EnqueueAsync(NewTurn turn, CancellationToken cancellationToken) =>
        inner.EnqueueAsync(turn, cancellationToken);

    public Task<StoredTurn?> GetTurnAsync(string turnId, CancellationToken cancellationToken) => inner.GetTurnAsync(turnId, cancellationToken);

    public Task<TurnState?> GetTurnStateAsync(string turnId, CancellationToken cancellationToken) => inner.GetTurnStateAsync(turnId, cancellationToken);

    public Task<IReadOnlyList<StoredTurn>> ListConversationAsync(string conversationId, CancellationToken cancellationToken) =>
        inner.ListConversationAsync(conversationId, cancellationToken);

    public Task<ClaimedTurn?> ClaimAsync(ClaimRequest request, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.ClaimAsync(request, now, cancellationToken);

    public Task MarkToolUseAsync(TurnLease lease, CancellationToken cancellationToken)
    {
        ThrowIfWritesFail();
        return inner.MarkToolUseAsync(lease, cancellationToken);
    }

    public Task AppendEventsAsync(TurnLease lease, IReadOnlyList<StoredEvent> events, CancellationToken cancellationToken)
    {
        ThrowIfWritesFail();
        return inner.AppendEventsAsync(lease, events, cancellationToken);
    }

    public Task CompleteAsync(TurnLease lease, TurnCompletion completion, RunRecord run, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ThrowIfWritesFail();
        return inner.CompleteAsync(lease, completion, run, now, cancellationToken);
    }

    private void ThrowIfWritesFail()
    {
        lock (_writesLock)
        {
            if (_writesToFail == 0)
            {
                return;
            }

            _writesToFail = _writesToFail == int.MaxValue ? _writesToFail : _writesToFail - 1;
            _failedAt.Add((timeProvider ?? TimeProvider.System).GetUtcNow());
        }

        throw new SqliteException("disk I/O error (scripted)", IoError);
    }

    public Task<IReadOnlyList<StoredEvent>> ReadEventsAsync(string turnId, long afterSequence, int max, CancellationToken cancellationToken) =>
        inner.ReadEventsAsync(turnId, afterSequence, max, cancellationToken);

    public Task<CancelOutcome> RequestCancelAsync(string turnId, StoredEvent terminalEvent, string result, DateTimeOffset now,
        CancellationToken cancellationToken) => inner.RequestCancelAsync(turnId, terminalEvent, result, now, cancellationToken);

    public Task<int> ExpireLeasesAsync(string? owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.ExpireLeasesAsync(owner, now, cancellationToken);

    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(string turnId, CancellationToken cancellationToken) =>
        inner.ListRunsAsync(turnId, cancellationToken);

    public Task<QueueStats> GetQueueStatsAsync(CancellationToken cancellationToken) => inner.GetQueueStatsAsync(cancellationToken);

    public Task<IReadOnlyList<string>> ListResultsAsync(string? profile, DateTimeOffset since, CancellationToken cancellationToken) =>
        inner.ListResultsAsync(profile, since, cancellationToken);

    public Task<RetentionResult> ApplyRetentionAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        inner.ApplyRetentionAsync(cutoff, cancellationToken);

    public Task<IReadOnlyList<string>> ListConversationIdsAsync(CancellationToken cancellationToken) =>
        inner.ListConversationIdsAsync(cancellationToken);

    public Task<bool> PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public Task<ConversationSession?> GetAsync(string conversationId, CancellationToken cancellationToken) =>
        inner.GetAsync(conversationId, cancellationToken);

    public Task SaveAsync(ConversationSession session, CancellationToken cancellationToken) => inner.SaveAsync(session, cancellationToken);

    public Task ForgetAsync(string conversationId, CancellationToken cancellationToken) => inner.ForgetAsync(conversationId, cancellationToken);
}
