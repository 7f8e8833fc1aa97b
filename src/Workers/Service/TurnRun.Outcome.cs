using Workers.Store;
using Workers.Turns;

namespace Workers.Service;

/// <summary>How a claimed turn gets its result: ended at the claim without a process (its deadline passed in the queue, or
/// a cancel was asked before this attempt: a re-claim after a lost worker), the runner's, or, when the runner threw, an end
/// written here. Whatever throws, the turn ends with its terminal event: a cancel that lands before the runner's own
/// handling (its session lookup, say) ends it <c>cancelled</c>, anything else <c>unclassified</c>. (An escaped cancel used to
/// leave the turn <c>running</c>, claimed again each lease until it failed <c>worker_lost</c>; issue 12.)</summary>
internal sealed partial class TurnRun
{
    private const string CancelledByProducer = "Cancelled by the producer.";

    private async Task<TurnResult> RunOrEndAsync(StoredTurn turn, TurnSubmission submission, StoreEventSink sink, long firstSequence,
        CancellationToken stop)
    {
        if (submission.Deadline is { } deadline && deadline <= _timeProvider.GetUtcNow())
        {
            // Waited in the queue past the producer's deadline: do not spend a process on it.
            return EndedWithoutRunning(turn, sink, new TurnFailed(FailureReasons.DeadlineExceeded,
                $"The turn's deadline {deadline:O} passed while it was queued."));
        }

        if (turn.CancelRequested)
        {
            // The producer cancelled it while an earlier attempt ran: nothing is left to run.
            return EndedWithoutRunning(turn, sink, new TurnCancelled(CancelledByProducer));
        }

        try
        {
            return await _services.Runner.RunAsync(new TurnRequest
            {
                Id = turn.Id,
                // A canary's conversation is its own, one turn long: it binds no process and leaves no session to resume.
                ConversationId = submission.Canary == true ? null : turn.ConversationId,
                Profile = turn.Profile,
                Prompt = submission.Prompt ?? "",
                WorkingDirectory = submission.Cwd,
                Transcript = submission.Transcript?.Select(t => new TranscriptMessage(t.Role ?? "user", t.Text ?? "")).ToList(),
                EnqueuedAt = turn.EnqueuedAt,
                Deadline = submission.Deadline,
                Continued = turn.Sequence > 1,
                ReadyProcessOnly = submission.Canary == true,
            }, sink, stop, firstSequence);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // A lost lease writes nothing and a store outage puts its own failure in place of this one (both decided by
            // the caller); a shutdown hands the lease back. What is left is the producer's cancel.
            return EndedWithoutRunning(turn, sink, new TurnCancelled(CancelledByProducer));
        }
        catch (Exception ex)
        {
            // A bug of ours must end this one turn with a reason, not leave it running until its lease expires.
            Log.RunFailed(_logger, turn.Id, ex);
            var failed = new TurnFailed(FailureReasons.Unclassified, $"The worker failed running the turn: {ex.Message}");
            return EndedWithoutRunning(turn, sink, failed);
        }
    }

    /// <summary>Ends the turn here with <paramref name="terminal"/> (a <see cref="TurnFailed"/> or <see cref="TurnCancelled"/>)
    /// and a record that says no process ran it, or none finished it.</summary>
    private TurnResult EndedWithoutRunning(StoredTurn turn, StoreEventSink sink, TurnEvent terminal)
    {
        sink.OnEvent(terminal with { Sequence = sink.LastSequence + 1 });
        var (status, reason, message) = terminal switch
        {
            TurnFailed failed => (TurnStatus.Failed, failed.Reason, failed.Message),
            TurnCancelled cancelled => (TurnStatus.Cancelled, FailureReasons.Cancelled, cancelled.Message),
            _ => throw new ArgumentException($"Not a terminal event: {terminal.GetType().Name}.", nameof(terminal)),
        };
        return new TurnResult
        {
            TurnId = turn.Id,
            Profile = turn.Profile,
            Family = _services.Profiles.TryGet(turn.Profile, out var profile) ? profile.Family : "",
            Status = status,
            Reason = reason,
            Message = message,
            Turn = turn.Sequence > 1 ? "continued" : "first",
            Attempts = turn.Attempts,
            Timing = new TurnClock(_timeProvider, turn.EnqueuedAt).Compute(),
        };
    }
}
