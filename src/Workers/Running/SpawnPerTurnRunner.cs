using Workers.Families;
using Workers.Pooling;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Running;

/// <summary>The baseline: one cold process per turn, exactly what the product we replace does. Every benchmark
/// compares the pool against this.</summary>
public sealed class SpawnPerTurnRunner(ProfileCatalog profiles, IAgentLauncher launcher, TimeProvider timeProvider)
{
    private readonly TurnAttempt _attempt = new(timeProvider);

    public async Task<TurnResult> RunAsync(TurnRequest request, ITurnEventSink sink, CancellationToken cancellationToken)
    {
        var clock = new TurnClock(timeProvider, request.EnqueuedAt);
        if (TurnRecords.Validate(request, profiles, out var profile, out var workingDirectory) is { } rejection)
        {
            return TurnRecords.Rejected(request, clock, sink, profile?.Family ?? "", rejection);
        }

        clock.MarkLeased();
        var turn = new TurnContext(request.Id, request.Prompt, workingDirectory, clock, sink, profile!.Options.Permissions);
        var resumeId = ResumePolicy.ResumableSession(profile, request.ResumeSessionId, out var fallback);
        var staleRetried = false;
        for (var attempt = 1; ; attempt++)
        {
            var (result, processId) = await RunOnceAsync(request, profile, turn, resumeId, cancellationToken);
            if (result.Stale && !staleRetried)
            {
                staleRetried = true;
                fallback = ResumePolicy.StartOverAfterStale(turn, request, result.Outcome);
                resumeId = null;
                continue;
            }

            return TurnRecords.Finish(request, profile, turn, result, StartKinds.Cold, fallback, attempt, processId);
        }
    }

    private async Task<(TurnAttempt.Result Result, int? ProcessId)> RunOnceAsync(TurnRequest request, ResolvedProfile profile, TurnContext turn,
        string? resumeId, CancellationToken cancellationToken)
    {
        var launch = new LaunchRequest(turn.WorkingDirectory, launcher.TraitsOf(profile).ResumesAtLaunch ? resumeId : null);
        IAgentConnection connection;
        try
        {
            connection = launcher.Launch(profile, launch);
            turn.Clock.MarkSpawned(connection.Process.SpawnedTimestamp);
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
