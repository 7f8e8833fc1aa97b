using Microsoft.Extensions.Logging;
using Workers.Families;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Running;

/// <summary>The baseline: one cold process per turn, exactly what the product we replace does. Every benchmark
/// compares the pool against this.</summary>
public sealed class SpawnPerTurnRunner(ProfileCatalog profiles, AgentDrivers drivers, TimeProvider timeProvider, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SpawnPerTurnRunner>();
    private readonly TurnExecutor _executor = new(timeProvider);

    public async Task<TurnResult> RunAsync(TurnRequest request, ITurnEventSink sink, CancellationToken cancellationToken)
    {
        var clock = new TurnClock(timeProvider, request.EnqueuedAt);
        var turnLabel = request.IsContinued ? "continued" : "first";
        if (!profiles.TryGet(request.Profile, out var profile))
        {
            return Rejected(request, clock, turnLabel, sink, $"No profile named '{request.Profile}'.");
        }

        string workingDirectory;
        try
        {
            workingDirectory = profile.ResolveWorkingDirectory(request.WorkingDirectory);
        }
        catch (ArgumentException ex)
        {
            return Rejected(request, clock, turnLabel, sink, ex.Message);
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            return Rejected(request, clock, turnLabel, sink, "The prompt is empty.");
        }

        clock.MarkLeased();
        var turn = new TurnContext(request.Id, request.Prompt, workingDirectory, clock, sink, profile.Options.Permissions);
        var resumeId = request.ResumeSessionId;
        string? fallback = null;
        for (var attempt = 1; ; attempt++)
        {
            var run = await RunOnceAsync(request, profile, turn, resumeId, cancellationToken);
            fallback ??= run.Fallback;
            if (run.Stale && attempt == 1)
            {
                // A stale session is recognised before any retry rule: forget it and start over on a new session,
                // with the producer's transcript when one was sent.
                turn.Emit(new AgentNotice("stale_resume", run.Outcome.Message ?? "The agent no longer knows the session."));
                fallback = $"stale session {resumeId}";
                resumeId = null;
                turn.Prompt = TranscriptPrompt.Render(request.Transcript ?? [], request.Prompt);
                clock.ResetForRetry();
                continue;
            }

            var result = Finish(request, profile, turn, run.Outcome, run.Session, turnLabel, fallback, run.StderrTail, attempt, run.ProcessId);
            return result;
        }
    }

    private sealed record AttemptResult(TurnOutcome Outcome, SessionOpened? Session, bool Stale, string? Fallback, string? StderrTail, int? ProcessId);

    private async Task<AttemptResult> RunOnceAsync(TurnRequest request, ResolvedProfile profile, TurnContext turn, string? resumeId,
        CancellationToken cancellationToken)
    {
        var driver = drivers.For(profile.Family);
        var launch = new LaunchRequest(turn.WorkingDirectory, driver.ResumesAtLaunch ? resumeId : null);
        IAgentConnection connection;
        try
        {
            var process = AgentProcess.Start(driver.BuildLaunch(profile, launch), timeProvider, loggerFactory.CreateLogger<AgentProcess>());
            turn.Clock.MarkSpawned(process.SpawnedTimestamp);
            connection = driver.Attach(process, profile, launch, timeProvider, _logger);
        }
        catch (SpawnFailedException ex)
        {
            return new AttemptResult(TurnOutcome.Failed(FailureReasons.SpawnFailed, $"{ex.Errno}: {ex.Message}", beforeOutput: true), null, false, null,
                null, null);
        }

        await using (connection)
        {
            SessionOpened? session = null;
            try
            {
                await WaitReadyAsync(connection, profile, cancellationToken);
                if (connection.ReadyTimestamp is { } readyAt)
                {
                    turn.Clock.MarkCliReady(readyAt);
                }

                session = await OpenSessionAsync(connection, profile, turn, new SessionRequest(resumeId, turn.WorkingDirectory), cancellationToken);
                if (session.Kind == StartKinds.New && request.Transcript is { Count: > 0 } transcript && turn.Prompt == request.Prompt)
                {
                    // The conversation goes on in a new session: replay what the agent cannot remember.
                    turn.Prompt = TranscriptPrompt.Render(transcript, request.Prompt);
                }

                turn.Emit(new SessionStarted(session.SessionId ?? "", session.Kind, StartKinds.Cold));
                var execution = await _executor.ExecuteAsync(connection, turn, profile.Options.Timeouts, request.Deadline, cancellationToken);
                var outcome = execution.Outcome;
                return new AttemptResult(outcome, session with { SessionId = connection.SessionId ?? session.SessionId },
                    outcome.Reason == FailureReasons.StaleResume, session.FallbackReason, TailIfFailed(outcome, connection), connection.Process.ProcessId);
            }
            catch (StaleSessionException ex)
            {
                return new AttemptResult(TurnOutcome.Failed(FailureReasons.StaleResume, ex.Message, beforeOutput: true), session, true, null,
                    connection.Process.Stderr.Read(), connection.Process.ProcessId);
            }
            catch (TurnFailedException ex)
            {
                return new AttemptResult(TurnOutcome.Failed(ex.Reason, ex.Message, ex.BeforeOutput || !turn.HasOutput), session, false, null,
                    connection.Process.Stderr.Read(), connection.Process.ProcessId);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new AttemptResult(TurnOutcome.Cancelled("Cancelled by the producer before the prompt was sent."), session, false, null, null,
                    connection.Process.ProcessId);
            }
        }
    }

    private async Task WaitReadyAsync(IAgentConnection connection, ResolvedProfile profile, CancellationToken cancellationToken)
    {
        using var ready = new CancellationTokenSource(profile.Options.Timeouts.Ready, timeProvider);
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
        var remaining = profile.Options.Timeouts.FirstToken - timeProvider.GetElapsedTime(turn.Clock.Leased);
        using var firstToken = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, firstToken.Token);
        try
        {
            return await connection.OpenSessionAsync(request, turn, linked.Token);
        }
        catch (OperationCanceledException) when (firstToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TurnFailedException(FailureReasons.FirstTokenTimeout,
                $"The session was not open within {profile.Options.Timeouts.FirstToken} (Timeouts:FirstToken).") { BeforeOutput = true };
        }
    }

    private static string? TailIfFailed(TurnOutcome outcome, IAgentConnection connection) =>
        outcome.Status == TurnStatus.Failed ? connection.Process.Stderr.Read() : null;

    private static TurnResult Finish(TurnRequest request, ResolvedProfile profile, TurnContext turn, TurnOutcome outcome, SessionOpened? session,
        string turnLabel, string? fallback, string? stderrTail, int attempts, int? processId)
    {
        turn.Clock.MarkFinished();
        turn.Emit(outcome.Status switch
        {
            TurnStatus.Succeeded => new TurnCompleted(turn.Text, outcome.StopReason),
            TurnStatus.Cancelled => new TurnCancelled(outcome.Message),
            _ => new TurnFailed(outcome.Reason ?? FailureReasons.Unclassified, outcome.Message ?? ""),
        });
        return new TurnResult
        {
            TurnId = request.Id,
            Profile = profile.Name,
            Family = profile.FamilyName,
            Status = outcome.Status,
            Reason = outcome.Status == TurnStatus.Succeeded ? null : outcome.Reason,
            Message = outcome.Message,
            Text = turn.Text,
            StopReason = outcome.StopReason,
            Usage = outcome.Usage?.ToUsage(),
            SessionId = session?.SessionId,
            Process = StartKinds.Cold,
            Session = session?.Kind,
            Turn = turnLabel,
            FallbackReason = fallback,
            StderrTail = stderrTail,
            Attempts = attempts,
            ProcessId = processId,
            Timing = turn.Clock.Compute(),
        };
    }

    private TurnResult Rejected(TurnRequest request, TurnClock clock, string turnLabel, ITurnEventSink sink, string message)
    {
        var turn = new TurnContext(request.Id, request.Prompt, "", clock, sink, new PermissionPolicy());
        turn.Emit(new TurnFailed(FailureReasons.BadInput, message));
        return new TurnResult
        {
            TurnId = request.Id,
            Profile = request.Profile,
            Family = profiles.TryGet(request.Profile, out var p) ? p.FamilyName : "",
            Status = TurnStatus.Failed,
            Reason = FailureReasons.BadInput,
            Message = message,
            Turn = turnLabel,
            Timing = clock.Compute(),
        };
    }
}
