using Microsoft.Extensions.Logging;
using Workers.Families;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Running;

/// <summary>The baseline: one cold process per turn, exactly what the product we replace does. Every benchmark
/// compares the pool against this.</summary>
public sealed class SpawnPerTurnRunner(ProfileCatalog profiles, AgentDrivers drivers, AgentLauncher launcher, TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<SpawnPerTurnRunner>();
    private readonly TurnAttempt _attempt = new(timeProvider);

    public async Task<TurnResult> RunAsync(TurnRequest request, ITurnEventSink sink, CancellationToken cancellationToken)
    {
        var clock = new TurnClock(timeProvider, request.EnqueuedAt);
        if (TurnRecords.Validate(request, profiles, out var profile, out var workingDirectory) is { } rejection)
        {
            return TurnRecords.Rejected(request, clock, sink, profile?.FamilyName ?? "", rejection);
        }

        clock.MarkLeased();
        var turn = new TurnContext(request.Id, request.Prompt, workingDirectory, clock, sink, profile!.Options.Permissions);
        var resumeId = request.ResumeSessionId;
        string? fallback = null;
        if (profile.Options.Resume == ResumeMode.None && resumeId is not null)
        {
            // The profile never resumes: a new session with the producer's transcript instead.
            fallback = FallbackReasons.ResumeDisabled;
            resumeId = null;
        }
        for (var attempt = 1; ; attempt++)
        {
            var (result, processId) = await RunOnceAsync(request, profile, turn, resumeId, cancellationToken);
            if (result.Stale && attempt == 1)
            {
                // A stale session is recognised before any retry rule: forget it and start over on a new session,
                // with the producer's transcript when one was sent.
                turn.Emit(new AgentNotice("stale_resume", result.Outcome.Message ?? "The agent no longer knows the session."));
                fallback = FallbackReasons.StaleSession;
                resumeId = null;
                turn.Prompt = TranscriptPrompt.Render(request.Transcript ?? [], request.Prompt);
                clock.ResetForRetry();
                continue;
            }

            return TurnRecords.Finish(request, profile, turn, result, StartKinds.Cold, fallback, attempt, processId);
        }
    }

    private async Task<(TurnAttempt.Result Result, int? ProcessId)> RunOnceAsync(TurnRequest request, ResolvedProfile profile, TurnContext turn,
        string? resumeId, CancellationToken cancellationToken)
    {
        var driver = drivers.For(profile.Family);
        var launch = new LaunchRequest(turn.WorkingDirectory, driver.ResumesAtLaunch ? resumeId : null);
        IAgentConnection connection;
        try
        {
            var process = launcher.Start(driver.BuildLaunch(profile, launch));
            turn.Clock.MarkSpawned(process.SpawnedTimestamp);
            connection = driver.Attach(process, profile, launch, timeProvider, _logger);
        }
        catch (SpawnFailedException ex)
        {
            var failed = TurnOutcome.Failed(FailureReasons.SpawnFailed, $"{ex.Errno}: {ex.Message}", beforeOutput: true);
            return (new TurnAttempt.Result(failed, null, RetireProcess: true, null), null);
        }

        await using (connection)
        {
            var result = await _attempt.RunAsync(connection, profile, turn, request, resumeId, StartKinds.Cold, cancellationToken);
            return (result, connection.Process.ProcessId);
        }
    }
}
