using Workers.Profiles;
using Workers.Turns;

namespace Workers.Running;

/// <summary>Ends a turn: its terminal event, then its record.</summary>
internal static class TurnRecords
{
    public static string TurnLabel(TurnRequest request) => request.IsContinued ? "continued" : "first";

    /// <summary>Checks what a producer sent before any process is involved. The working directory is resolved to its real
    /// path again here, at run time: one swapped for a symlink leading outside since it was accepted is refused.</summary>
    /// <returns>Null when the request is acceptable, else why not.</returns>
    public static TurnRejection? Validate(TurnRequest request, ProfileCatalog profiles, out ResolvedProfile? profile,
        out string workingDirectory)
    {
        workingDirectory = "";
        if (!profiles.TryGet(request.Profile, out profile))
        {
            return new TurnRejection(FailureReasons.BadInput, $"No profile named '{request.Profile}'.");
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            return new TurnRejection(FailureReasons.BadInput, "The prompt is empty.");
        }

        try
        {
            workingDirectory = profile.ResolveWorkingDirectory(request.WorkingDirectory);
        }
        catch (WorkingDirectoryLeadsOutsideException ex)
        {
            return new TurnRejection(FailureReasons.CwdOutsideAllowed, ex.Message);
        }
        catch (ArgumentException ex)
        {
            return new TurnRejection(FailureReasons.BadInput, ex.Message);
        }

        return null;
    }

    public static TurnResult Finish(TurnRequest request, ResolvedProfile profile, TurnContext turn, TurnAttempt.Result attempt, string processKind,
        string? fallback, int attempts, int? processId)
    {
        var outcome = attempt.Outcome;
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
            Family = profile.Family,
            Status = outcome.Status,
            Reason = outcome.Status == TurnStatus.Succeeded ? null : outcome.Reason,
            Message = outcome.Message,
            Text = turn.Text,
            StopReason = outcome.StopReason,
            Usage = outcome.Usage?.ToUsage(),
            SessionId = attempt.Session?.SessionId,
            Process = processKind,
            Session = attempt.Session?.Kind,
            Turn = TurnLabel(request),
            Fidelity = attempt.Session?.Fidelity,
            FallbackReason = fallback ?? attempt.Session?.FallbackReason,
            StderrTail = attempt.StderrTail,
            Attempts = attempts,
            ProcessId = processId,
            Timing = turn.Clock.Compute(),
        };
    }

    /// <summary>A turn refused before it reached any process, with the reason.</summary>
    public static TurnResult Rejected(TurnRequest request, TurnClock clock, ITurnEventSink sink, string family, TurnRejection rejection)
    {
        var turn = new TurnContext(request.Id, request.Prompt, "", clock, sink, new PermissionPolicy());
        turn.Emit(new TurnFailed(rejection.Reason, rejection.Message));
        return new TurnResult
        {
            TurnId = request.Id,
            Profile = request.Profile,
            Family = family,
            Status = TurnStatus.Failed,
            Reason = rejection.Reason,
            Message = rejection.Message,
            Turn = TurnLabel(request),
            Timing = clock.Compute(),
        };
    }
}
