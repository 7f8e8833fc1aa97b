using Workers.Families;
using Workers.Isolation;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Sessions;
using Workers.Turns;

namespace Workers.Running;

/// <summary>Runs a turn on the lease ladder (<c>specs/pool.md</c>, whose rungs live in <c>Pooling/Ladder/</c>): the
/// conversation's live process, a ready one, or a cold spawn; a stale session is cleared and the turn re-run on a new
/// session with the transcript (<see cref="ResumePolicy"/>); a process that fails before the turn's first event is replaced
/// and the turn retried (<see cref="RetryBeforeOutput"/>), and so is one that dies after text only, on a new session
/// (<see cref="RetryAfterText"/>).</summary>
public sealed class PooledTurnRunner(ProfileCatalog profiles, PoolRegistry pools, SessionRegistry sessions, TimeProvider timeProvider,
    WorkerMetrics? metrics = null) : ITurnRunner
{
    private readonly TurnAttempt _attempt = new(timeProvider);

    public async Task<TurnResult> RunAsync(TurnRequest request, ITurnEventSink sink, CancellationToken cancellationToken, long firstSequence = 0)
    {
        var clock = new TurnClock(timeProvider, request.EnqueuedAt);
        if (TurnRecords.Validate(request, profiles, out var profile, out var workingDirectory) is { } rejection)
        {
            return TurnRecords.Rejected(request, clock, sink, profile?.Family ?? "", rejection);
        }

        var turn = new TurnContext(request.Id, request.Prompt, workingDirectory, clock, sink, profile!.Options.Permissions, firstSequence);
        if (!pools.TryGet(profile.Name, out var pool))
        {
            return Failed(request, profile, turn, FailureReasons.SpawnFailed, $"{profile.UnavailableErrno}: {profile.UnavailableReason}");
        }

        var conversation = request.ConversationId;
        var knownSession = request.ResumeSessionId;
        if (knownSession is null && conversation is not null)
        {
            try
            {
                knownSession = (await sessions.FindAsync(conversation, profile.Name, cancellationToken))?.AgentSessionId;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Cancelled(request, profile, turn, "Cancelled by the producer before the turn started.", attempt: 1);
            }
        }

        // A conversation with a known session is a continued one, whether or not the producer said so.
        request = request with { Continued = request.Continued ?? (knownSession is not null || request.IsContinued) };
        var resumeId = ResumePolicy.ResumableSession(profile, knownSession, out var fallback);

        var budget = new RetryBudget(pool.Options.MaxAttempts, pool.Options.RetriesAfterKill);
        var staleRetried = false;
        var retriedAfterText = false;
        for (var attempt = 1; ; attempt++)
        {
            PoolLease lease;
            try
            {
                // A rerun after text takes no bound process: the conversation's live session holds the partial answer.
                var bound = retriedAfterText ? null : conversation;
                lease = await pool.LeaseAsync(new LeaseRequest(bound, resumeId, workingDirectory, profile.Digest, FilesOf: conversation,
                    ReadyOnly: request.ReadyProcessOnly), cancellationToken);
            }
            catch (PoolExhaustedException ex)
            {
                return Failed(request, profile, turn, FailureReasons.LeaseTimeout, ex.Message, attempt);
            }
            catch (NoReadyProcessException ex)
            {
                return Failed(request, profile, turn, FailureReasons.NoReadyProcess, ex.Message, attempt);
            }
            catch (SpawnFailedException ex)
            {
                return Failed(request, profile, turn, FailureReasons.SpawnFailed, $"{ex.Errno}: {ex.Message}", attempt);
            }
            catch (ConversationStateUnavailableException ex)
            {
                return Failed(request, profile, turn, FailureReasons.StateUnavailable, ex.Message, attempt);
            }
            catch (ObjectDisposedException)
            {
                return Failed(request, profile, turn, FailureReasons.WorkerLost, "The worker is shutting down.", attempt);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Cancelled(request, profile, turn, "Cancelled while waiting for a process.", attempt, fallback);
            }

            if (attempt == 1)
            {
                clock.MarkLeased();
            }
            else if (retriedAfterText)
            {
                clock.RestartFirstTokenWait();
            }

            clock.MarkSpawned(lease.Process.SpawnedTimestamp);
            fallback ??= lease.FallbackReason;
            var sessionResume = lease.FromBinding ? lease.Process.Connection.SessionId : resumeId;
            TurnAttempt.Result result;
            try
            {
                result = await _attempt.RunAsync(lease.Process.Connection, profile, turn, request, sessionResume, lease.ProcessKind,
                    cancellationToken);
            }
            catch
            {
                // Whatever went wrong (a bug of ours, a limit the runtime refused), the process goes back to the pool's
                // bookkeeping: retired, since its state is unknown. A lease kept here would hold its slot for good.
                pool.Release(lease, null, profile.Digest, retire: true);
                throw;
            }

            var sessionId = result.Session?.SessionId;
            var bind = result.Outcome.Status == TurnStatus.Succeeded && conversation is not null && sessionId is not null;
            // A canary's process is not handed on: it holds the canary's session, not a fresh one a producer's turn would get.
            pool.Release(lease, bind ? conversation : null, profile.Digest, result.RetireProcess,
                retireAs: request.ReadyProcessOnly ? RetireReason.Canary : null);

            if (result.Stale && !staleRetried)
            {
                staleRetried = true;
                metrics?.RecordStaleResume(profile.Name);
                if (conversation is not null)
                {
                    // Not the turn's token: the agent rejected the session, so it is cleared even if a cancel lands now.
                    await sessions.ClearStaleAsync(conversation, CancellationToken.None);
                }

                fallback = ResumePolicy.StartOverAfterStale(turn, request, result.Outcome);
                resumeId = null;
                continue;
            }

            if (RetryBeforeOutput.Concerns(result.Outcome, turn))
            {
                var charge = budget.TryCharge(OutsideKill.Ended(lease.Process.Connection.Process));
                if (charge != RetryCharge.Refused)
                {
                    metrics?.RecordRetry(profile.Name, result.Outcome.Reason!, afterText: false, charge == RetryCharge.RetryAfterKill);
                    RetryBeforeOutput.StartOver(turn, attempt, result.Outcome.Reason!, charge);
                    continue;
                }

                result = WithNote(result, $"Not retried: {budget.Spent}.");
            }

            if (RetryAfterText.Concerns(result.Outcome, turn, result.ConnectionDone))
            {
                var charge = RetryCharge.Refused;
                var refusal = RetryAfterText.Refusal(request);
                if (refusal is null && (charge = budget.TryCharge(OutsideKill.Ended(lease.Process.Connection.Process))) != RetryCharge.Refused)
                {
                    metrics?.RecordRetry(profile.Name, result.Outcome.Reason!, afterText: true, charge == RetryCharge.RetryAfterKill);
                    turn = RetryAfterText.StartOver(turn, request, sink, result.Outcome);
                    (resumeId, fallback, retriedAfterText) = (null, FallbackReasons.RetriedAfterText, true);
                    continue;
                }

                result = WithNote(result, refusal ?? $"Not retried after text: {budget.Spent}.");
            }

            if (bind)
            {
                // Not the turn's token: the turn succeeded, so its session is kept even if a cancel lands now.
                await sessions.RecordAsync(new ConversationSession(conversation!, profile.Name, sessionId!, workingDirectory, timeProvider.GetUtcNow()),
                    CancellationToken.None);
            }

            return TurnRecords.Finish(request, profile, turn, result, lease.ProcessKind, fallback, attempt, lease.Process.ProcessId);
        }
    }

    private static TurnAttempt.Result WithNote(TurnAttempt.Result result, string note) =>
        result with { Outcome = result.Outcome with { Message = $"{result.Outcome.Message} {note}" } };

    private static TurnResult Cancelled(TurnRequest request, ResolvedProfile profile, TurnContext turn, string message, int attempt,
        string? fallback = null)
    {
        var cancelled = new TurnAttempt.Result(TurnOutcome.Cancelled(message), null, RetireProcess: false, null);
        return TurnRecords.Finish(request, profile, turn, cancelled, StartKinds.Cold, fallback, attempt, null);
    }

    private static TurnResult Failed(TurnRequest request, ResolvedProfile profile, TurnContext turn, string reason, string message, int attempts = 1)
    {
        var failed = new TurnAttempt.Result(TurnOutcome.Failed(reason, message, beforeOutput: true), null, false, null);
        return TurnRecords.Finish(request, profile, turn, failed, StartKinds.Cold, null, attempts, null);
    }
}
