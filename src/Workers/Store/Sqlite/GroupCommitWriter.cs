using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Workers.Store.Sqlite;

/// <summary>The one writer of a <see cref="SqliteTurnStore"/> (<c>specs/store.md</c>, "Group commit"): it runs the write
/// requests in arrival order on one long-lived connection, as many as are waiting (up to <see cref="MaxRequestsPerBatch"/> or
/// <see cref="DefaultMaxBatchDuration"/> of work) in one <c>BEGIN IMMEDIATE</c> transaction, each in its own savepoint, and completes
/// their callers only after the one <c>COMMIT</c> (one sync) that holds their writes.</summary>
/// <remarks>
/// A request that throws rolls back its own savepoint and gets its own exception; the others of the batch commit. Nobody waits
/// for company: a lone request is a batch of one, committed at once. Requests that arrive while a batch runs join it (within the
/// bounds), and those that arrive during its commit form the next one. A caller cancelled before its request is taken writes
/// nothing; once taken, the request runs under the caller's token as before (a cancellation during its work rolls back its
/// savepoint), and once it has run, its caller's task ends with the commit.
/// </remarks>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    /// <summary>Requests per transaction at most: bounds the wait of the first request of a busy batch for its commit.</summary>
    public const int MaxRequestsPerBatch = 128;

    /// <summary>Work per transaction at most, by default: no request joins a batch that has run this long; it waits for the
    /// next.</summary>
    public static readonly TimeSpan DefaultMaxBatchDuration = TimeSpan.FromMilliseconds(5);

    private const string Savepoint = "request";

    // Not SingleReader: that channel cannot count what it holds (PendingCount).
    private readonly Channel<PendingWrite> _requests = Channel.CreateUnbounded<PendingWrite>();
    private readonly Func<CancellationToken, Task<SqliteConnection>> _open;
    private readonly Task _loop;
    private SqliteConnection? _connection;

    // A request taken from the channel that could not join the batch it was read in (it must run alone): the next batch's first.
    private PendingWrite? _carried;
    private long _commitCount;

    /// <param name="open">Opens a connection with the per-connection settings; the writer keeps it open until it is disposed, or
    /// until a transaction fails in a way that leaves its state unknown.</param>
    public GroupCommitWriter(Func<CancellationToken, Task<SqliteConnection>> open)
    {
        _open = open;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Transactions committed so far.</summary>
    public long CommitCount => Interlocked.Read(ref _commitCount);

    /// <summary>Requests waiting for the writer to take them.</summary>
    public int PendingCount => _requests.Reader.Count;

    /// <summary>Work per transaction at most (<see cref="DefaultMaxBatchDuration"/>); a test that needs its writes in a known
    /// number of batches on a loaded machine lifts it.</summary>
    public TimeSpan MaxBatchDuration { get; set; } = DefaultMaxBatchDuration;

    /// <summary>Test seam: awaited when a request is waiting, before the writer takes it, so that a test can queue several
    /// requests into one batch.</summary>
    public Func<Task>? BeforeBatch { get; set; }

    /// <summary>Test seam: awaited after a batch's last request ran, before its <c>COMMIT</c>.</summary>
    public Func<Task>? BeforeCommit { get; set; }

    /// <summary>Runs <paramref name="work"/> in its own savepoint of a group transaction; the task ends once that transaction
    /// committed (with the work's result), or with the work's own exception (its savepoint rolled back), or with the
    /// transaction's exception when the commit failed.</summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        Submit(new PendingWrite<T>((connection, transaction) => work(connection, transaction!), runsAlone: false, cancellationToken));

    /// <summary>Runs <paramref name="work"/> alone, outside any transaction, between two batches: for what SQLite refuses inside
    /// one (<c>PRAGMA journal_mode</c>, a checkpoint).</summary>
    public Task<T> RunAloneAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken cancellationToken) =>
        Submit(new PendingWrite<T>((connection, _) => work(connection), runsAlone: true, cancellationToken));

    /// <summary>Takes no more requests, runs those already queued, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _loop;
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync();
        }
    }

    private Task<T> Submit<T>(PendingWrite<T> request)
    {
        if (!_requests.Writer.TryWrite(request))
        {
            request.Fail(new ObjectDisposedException(nameof(SqliteTurnStore)));
        }

        return request.Task;
    }

    private async Task RunAsync()
    {
        while (_carried is not null || await _requests.Reader.WaitToReadAsync())
        {
            if (BeforeBatch is { } beforeBatch)
            {
                await beforeBatch();
            }

            if (TakeNext() is not { } first)
            {
                continue;
            }

            if (first.RunsAlone)
            {
                await RunAloneAsync(first);
                continue;
            }

            await RunBatchAsync(first);
        }
    }

    /// <summary>The next request still wanted by its caller, or null when none is waiting.</summary>
    private PendingWrite? TakeNext()
    {
        if (_carried is { } carried)
        {
            _carried = null;
            return carried;
        }

        while (_requests.Reader.TryRead(out var request))
        {
            if (request.TryTake())
            {
                return request;
            }
        }

        return null;
    }

    private async Task RunAloneAsync(PendingWrite request)
    {
        try
        {
            await request.RunAsync(await ConnectionAsync(), null);
            request.Complete();
        }
        catch (Exception ex)
        {
            request.Fail(ex);
        }
    }

    private async Task RunBatchAsync(PendingWrite first)
    {
        var batch = new List<PendingWrite>(capacity: 8);
        SqliteTransaction? transaction = null;
        try
        {
            var connection = await ConnectionAsync();
            // deferred: false is BEGIN IMMEDIATE: the write lock is taken up front, so a transaction never has to upgrade a read
            // snapshot that another writer has moved past (SQLITE_BUSY_SNAPSHOT cannot be retried).
            transaction = connection.BeginTransaction(deferred: false);
            var started = Stopwatch.GetTimestamp();
            for (var request = first; request is not null; request = TakeJoining(batch.Count, started))
            {
                batch.Add(request);
                transaction.Save(Savepoint);
                try
                {
                    await request.RunAsync(connection, transaction);
                    transaction.Release(Savepoint);
                }
                catch (Exception ex)
                {
                    // Only this request's writes go, and it gets its own exception. A rollback that fails means the transaction
                    // itself is gone (SQLite rolls back the whole transaction on an I/O error, a full disk, an interrupt): then
                    // nothing of the batch holds, and the others fail below with that reason.
                    request.Fail(ex);
                    transaction.Rollback(Savepoint);
                    transaction.Release(Savepoint);
                }
            }

            if (BeforeCommit is { } beforeCommit)
            {
                await beforeCommit();
            }

            transaction.Commit();
        }
        catch (Exception ex)
        {
            // Not committed: every request of the batch that had not failed on its own fails with the reason. The connection's
            // state is unknown, so the next batch opens a new one.
            foreach (var request in batch)
            {
                request.Fail(ex);
            }

            first.Fail(ex);
            await DropConnectionAsync(transaction);
            return;
        }

        // Durable now: only then do the callers learn that their writes are stored (a request that failed has its answer).
        Interlocked.Increment(ref _commitCount);
        foreach (var request in batch)
        {
            request.Complete();
        }

        await transaction.DisposeAsync();
    }

    /// <summary>The next waiting request that may join the running batch, or null when the batch is full, has run long enough,
    /// or the next request must run alone (it is carried to the next round).</summary>
    private PendingWrite? TakeJoining(int batchCount, long started)
    {
        if (batchCount >= MaxRequestsPerBatch || Stopwatch.GetElapsedTime(started) >= MaxBatchDuration || TakeNext() is not { } next)
        {
            return null;
        }

        if (next.RunsAlone)
        {
            _carried = next;
            return null;
        }

        return next;
    }

    private async Task<SqliteConnection> ConnectionAsync() => _connection ??= await _open(CancellationToken.None);

    private async Task DropConnectionAsync(SqliteTransaction? transaction)
    {
        try
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }
        catch (SqliteException)
        {
            // The transaction is already gone; closing the connection below ends whatever is left of it.
        }

        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync();
        }
    }

    /// <summary>A write request: its work and its caller's task.</summary>
    private abstract class PendingWrite
    {
        private const int Waiting = 0;
        private const int Taken = 1;
        private const int Withdrawn = 2;

        private int _state;

        protected PendingWrite(bool runsAlone) => RunsAlone = runsAlone;

        public bool RunsAlone { get; }

        /// <summary>True when the writer may run it: its caller has not withdrawn it (cancelled) before.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

        public abstract Task RunAsync(SqliteConnection connection, SqliteTransaction? transaction);

        /// <summary>Ends the caller's task with the work's result; nothing when it already ended (the request failed).</summary>
        public abstract void Complete();

        public abstract void Fail(Exception exception);

        /// <summary>The caller's cancellation before the writer took the request: it never runs.</summary>
        protected bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Waiting) == Waiting;
    }

    private sealed class PendingWrite<T> : PendingWrite
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<SqliteConnection, SqliteTransaction?, Task<T>> _work;
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenRegistration _registration;
        private T? _result;

        public PendingWrite(Func<SqliteConnection, SqliteTransaction?, Task<T>> work, bool runsAlone, CancellationToken cancellationToken)
            : base(runsAlone)
        {
            _work = work;
            _cancellationToken = cancellationToken;
            _registration = cancellationToken.Register(static state =>
            {
                var request = (PendingWrite<T>)state!;
                if (request.TryWithdraw())
                {
                    request._completion.TrySetCanceled(request._cancellationToken);
                }
            }, this);
        }

        public Task<T> Task => _completion.Task;

        public override async Task RunAsync(SqliteConnection connection, SqliteTransaction? transaction)
        {
            await _registration.DisposeAsync();
            _result = await _work(connection, transaction);
        }

        public override void Complete() => _completion.TrySetResult(_result!);

        public override void Fail(Exception exception)
        {
            _registration.Dispose();
            if (exception is OperationCanceledException canceled && canceled.CancellationToken == _cancellationToken)
            {
                _completion.TrySetCanceled(_cancellationToken);
                return;
            }

            _completion.TrySetException(exception);
        }
    }
}
