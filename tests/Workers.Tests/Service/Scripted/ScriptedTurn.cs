using Workers.Turns;

namespace Workers.Tests.Service.Scripted;

/// <summary>One call of <see cref="ScriptedTurnRunner"/>: it runs until the test ends it (<see cref="Succeed"/>,
/// <see cref="Throw"/>) or its token is cancelled, when it ends cancelled the way the pooled runner does — unless it plays
/// an agent slow to stop (<paramref name="endsWhenCancelled"/> false), which runs on until the test ends it, or a runner whose
/// cancel escapes as an exception (<paramref name="cancelThrows"/>).</summary>
internal sealed class ScriptedTurn(TurnRequest request, ITurnEventSink sink, long firstSequence, TimeProvider timeProvider,
    CancellationToken token, bool endsWhenCancelled = true, bool cancelThrows = false)
{
    private readonly TaskCompletionSource<Func<TurnResult>> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence = firstSequence;

    public TurnRequest Request => request;

    /// <summary>The token the dispatcher gave the runner.</summary>
    public CancellationToken Token => token;

    public long FirstSequence { get; } = firstSequence;

    /// <summary>Completes when the runner saw its token cancelled.</summary>
    public Task Cancelled => _cancelled.Task;

    public bool IsEnded => _end.Task.IsCompleted;

    /// <summary>Emits an event numbered after the ones before it, as a driver does.</summary>
    public void Emit(TurnEvent turnEvent) => sink.OnEvent(turnEvent with { Sequence = Interlocked.Increment(ref _sequence) });

    /// <summary>Asks to let the agent use a tool, as a family does before it answers a permission with allow.</summary>
    public Task<bool> CommitToolUseAsync() => sink.CommitToolUseAsync();

    public void Succeed(string text = "done") =>
        _end.TrySetResult(() => End(new TurnCompleted(text, "end_turn"), TurnStatus.Succeeded, reason: null));

    /// <summary>Makes the runner throw, as a bug of ours would.</summary>
    public void Throw(Exception exception) => _end.TrySetException(exception);

    public async Task<TurnResult> RunAsync()
    {
        await using var registration = Token.Register(() =>
        {
            _cancelled.TrySetResult();
            if (cancelThrows)
            {
                _end.TrySetException(new OperationCanceledException(Token));
            }
            else if (endsWhenCancelled)
            {
                _end.TrySetResult(() => End(new TurnCancelled("Cancelled by the producer."), TurnStatus.Cancelled, FailureReasons.Cancelled));
            }
        });
        var end = await _end.Task;
        return end();
    }

    private TurnResult End(TurnEvent terminal, TurnStatus status, string? reason)
    {
        Emit(terminal);
        return new TurnResult
        {
            TurnId = Request.Id,
            Profile = Request.Profile,
            Family = "scripted",
            Status = status,
            Reason = reason,
            Turn = Request.Continued == true ? "continued" : "first",
            Timing = new TurnClock(timeProvider, request.EnqueuedAt).Compute(),
        };
    }
}
