using System.Diagnostics;
using Workers.Store;
using Workers.Turns;

namespace Workers.Tracing;

/// <summary>The trace of one claimed turn (<c>specs/tracing.md</c>): its root span, started at the claim with the turn's
/// enqueue time as its start and current while the turn runs, and, once the record exists, one child span per timing segment
/// (<see cref="TurnSpanLayout"/>), the rung and outcome as attributes, and the trace id in the record.</summary>
/// <remarks>Nothing is created when no listener samples <see cref="TurnTracing.Source"/>: every member is then a no-op and
/// the record has no trace id.</remarks>
public sealed class TurnTrace : IDisposable
{
    private readonly Activity? _turn;
    private readonly DateTimeOffset _enqueuedAt;

    private TurnTrace(Activity? turn, DateTimeOffset enqueuedAt)
    {
        _turn = turn;
        _enqueuedAt = enqueuedAt;
    }

    /// <summary>The trace id (32 hex digits), when the turn is traced and sampled.</summary>
    public string? TraceId => _turn is { Recorded: true } turn ? turn.TraceId.ToHexString() : null;

    /// <summary>Starts the root span of a claimed turn. A turn is a root of its own: whatever was current on the dispatcher's
    /// flow is not its parent.</summary>
    public static TurnTrace Start(StoredTurn turn)
    {
        if (!TurnTracing.Source.HasListeners())
        {
            return new TurnTrace(null, turn.EnqueuedAt);
        }

        Activity.Current = null;
        var activity = TurnTracing.Source.StartActivity(TurnTracing.TurnSpan, ActivityKind.Internal, default(ActivityContext),
            [
                new(TurnAttributes.TurnId, turn.Id),
                new(TurnAttributes.ConversationId, turn.ConversationId),
                new(TurnAttributes.Profile, turn.Profile),
                new(TurnAttributes.Attempt, turn.Attempts),
            ], startTime: turn.EnqueuedAt);
        return new TurnTrace(activity, turn.EnqueuedAt);
    }

    /// <summary>Ends the trace with the turn's record: a child span per segment, the rung and outcome, an error status for a
    /// failed turn; returns the record with its trace id.</summary>
    public TurnResult Complete(TurnResult result)
    {
        if (_turn is null)
        {
            return result;
        }

        TurnAttributes.SetRecord(_turn, result);
        foreach (var span in TurnSpanLayout.Of(_enqueuedAt, result.Timing))
        {
            using var child = TurnTracing.Source.StartActivity(span.Name, ActivityKind.Internal, _turn.Context, startTime: span.Start);
            if (child is not null)
            {
                if (span.Name == TurnTracing.LeaseSpan)
                {
                    TurnAttributes.SetRung(child, result);
                }

                child.SetEndTime(span.End.UtcDateTime);
            }
        }

        if (result.Status == TurnStatus.Failed)
        {
            _turn.SetStatus(ActivityStatusCode.Error, result.Reason);
        }

        if (TurnSpanLayout.Finished(_enqueuedAt, result.Timing) is { } finished)
        {
            // Else (ended at the claim, without a runner's clock) it ends now, when stopped.
            _turn.SetEndTime(finished.UtcDateTime);
        }

        _turn.Stop();
        return TraceId is { } traceId ? result with { TraceId = traceId } : result;
    }

    /// <summary>Ends the trace of a run that wrote no end: its lease went to another worker, or our shutdown handed it back.</summary>
    public void Abandon(string why)
    {
        if (_turn is { IsStopped: false })
        {
            _turn.SetStatus(ActivityStatusCode.Error, why);
            _turn.Stop();
        }
    }

    public void Dispose() => _turn?.Dispose();
}
