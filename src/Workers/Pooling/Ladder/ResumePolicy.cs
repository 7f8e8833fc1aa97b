using Workers.Profiles;
using Workers.Turns;

namespace Workers.Pooling;

/// <summary>The one rule both runners follow for a conversation's known agent session (<c>specs/pool.md</c>): whether a
/// process may be asked to resume it, and what a stale resume does to the turn.</summary>
internal static class ResumePolicy
{
    /// <summary>The session a process may be asked to resume. None when the profile never resumes: a live session may
    /// still be reused, but a new process opens a new session fed the transcript; <paramref name="fallback"/> says so.</summary>
    public static string? ResumableSession(ResolvedProfile profile, string? knownSessionId, out string? fallback)
    {
        if (profile.Options.Resume == ResumeMode.None && knownSessionId is not null)
        {
            fallback = FallbackReasons.ResumeDisabled;
            return null;
        }

        fallback = null;
        return knownSessionId;
    }

    /// <summary>A resume the agent rejected is recognised before any retry rule: the turn says so, and starts over on a
    /// new session fed the producer's transcript when one was sent. Returns the fallback reason the turn records.</summary>
    public static string StartOverAfterStale(TurnContext turn, TurnRequest request, TurnOutcome staleOutcome)
    {
        turn.Emit(new AgentNotice("stale_resume", staleOutcome.Message ?? "The agent no longer knows the session."));
        turn.Prompt = TranscriptPrompt.Render(request.Transcript ?? [], request.Prompt);
        turn.Clock.ResetForRetry();
        return FallbackReasons.StaleSession;
    }
}
