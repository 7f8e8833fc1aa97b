using Workers.Families;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Running;

/// <summary>One attempt of a turn on one agent process, whatever rung it came from: readiness (bounded by
/// <c>Timeouts:Ready</c>), the session (bounded by the first-token limit), the prompt (bounded by the executor).</summary>
internal sealed class TurnAttempt(TimeProvider timeProvider)
{
    private readonly TurnExecutor _executor = new(timeProvider);

    /// <summary>How the attempt ended.</summary>
    /// <param name="Outcome">The turn's outcome on this process.</param>
    /// <param name="Session">The session the attempt got, if it got that far.</param>
    /// <param name="RetireProcess">True when the process must not serve another turn.</param>
    /// <param name="StderrTail">The agent's last stderr, for failures.</param>
    public sealed record Result(TurnOutcome Outcome, SessionOpened? Session, bool RetireProcess, string? StderrTail)
    {
        public bool Stale => Outcome.Reason == FailureReasons.StaleResume;

        /// <summary>See <see cref="TurnExecutor.Execution.ConnectionDone"/>.</summary>
        public bool ConnectionDone { get; init; } = true;
    }

    public async Task<Result> RunAsync(IAgentConnection connection, ResolvedProfile profile, TurnContext turn, TurnRequest request,
        string? resumeSessionId, string processKind, CancellationToken cancellationToken)
    {
        SessionOpened? session = null;
        connection.Process.BeginTurn();
        try
        {
            await WaitReadyAsync(connection, profile, cancellationToken);
            if (connection.ReadyTimestamp is { } readyAt)
            {
                turn.Clock.MarkCliReady(readyAt);
            }

            session = await OpenSessionAsync(connection, profile, turn, new SessionRequest(resumeSessionId, turn.WorkingDirectory), cancellationToken);

            var transcriptSent = false;
            if (session.Kind is StartKinds.New or StartKinds.Prewarmed && request.Transcript is { Count: > 0 } transcript)
            {
                // The conversation goes on in a new session: replay what the agent cannot remember (a stale resume's rerun
                // has it in its prompt already).
                if (turn.Prompt == request.Prompt)
                {
                    turn.Prompt = TranscriptPrompt.Render(transcript, request.Prompt);
                }

                transcriptSent = true;
            }

            session = session with { Fidelity = ResumeFidelity.Of(request.IsContinued, session.Kind, transcriptSent) };
            turn.Emit(new SessionStarted(session.SessionId ?? "", session.Kind, processKind, session.Fidelity));
            var execution = await _executor.ExecuteAsync(connection, turn, profile.Options.Timeouts, request.Deadline, cancellationToken);
            var outcome = execution.Outcome;
            return new Result(outcome, session with { SessionId = connection.SessionId ?? session.SessionId },
                execution.RetireProcess || !connection.CanServeAnotherTurn || outcome.Status == TurnStatus.Failed,
                outcome.Status == TurnStatus.Failed ? connection.Process.ReadStderr() : null) { ConnectionDone = execution.ConnectionDone };
        }
        catch (TurnFailedException ex)
        {
            return new Result(TurnOutcome.Failed(ex.Reason, ex.Message, ex.BeforeOutput || !turn.HasOutput), session, RetireProcess: true,
                connection.Process.ReadStderr());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new Result(TurnOutcome.Cancelled("Cancelled by the producer before the prompt was sent."), session, RetireProcess: true, null);
        }
    }

    private async Task WaitReadyAsync(IAgentConnection connection, ResolvedProfile profile, CancellationToken cancellationToken)
    {
        using var ready = TimerDelay.CancelAfter(profile.Options.Timeouts.Ready, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, ready.Token);
        try
        {
            await connection.WaitReadyAsync(linked.Token);
        }
        catch (OperationCanceledException) when (ready.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TurnFailedException(FailureReasons.StartTimeout,
                $"The agent was not ready within {profile.Options.Timeouts.Ready} (Timeouts:Ready).") { BeforeOutput = true };
        }
    }

    /// <summary>Opening the session is part of the wait for the first token, so it is bounded by the same limit.</summary>
    private async Task<SessionOpened> OpenSessionAsync(IAgentConnection connection, ResolvedProfile profile, TurnContext turn,
        SessionRequest request, CancellationToken cancellationToken)
    {
        var remaining = profile.Options.Timeouts.FirstToken - timeProvider.GetElapsedTime(turn.Clock.FirstTokenWaitStart);
        using var firstToken = TimerDelay.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, firstToken.Token);
        try
        {
            return await SessionRung.OpenAsync(connection, request, turn, linked.Token);
        }
        catch (OperationCanceledException) when (firstToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TurnFailedException(FailureReasons.FirstTokenTimeout,
                $"The session was not open within {profile.Options.Timeouts.FirstToken} (Timeouts:FirstToken).") { BeforeOutput = true };
        }
    }
}
