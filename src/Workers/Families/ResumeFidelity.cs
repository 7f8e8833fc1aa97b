using Workers.Profiles;

namespace Workers.Families;

/// <summary>What the agent session held of the conversation when a turn's prompt was sent (<c>specs/pool.md</c>, "Resume
/// fidelity"): a bounded label of the record, the <c>session</c> event and <c>workers_turn_fidelity_total</c>. A rung says how
/// the session was obtained; the fidelity says whether the conversation survived it, so a resume that quietly lost the
/// conversation shows.</summary>
public static class ResumeFidelity
{
    /// <summary>The conversation's first turn: there was nothing to hold.</summary>
    public const string First = "first";

    /// <summary>Same process, same session as the conversation's last turn.</summary>
    public const string Live = "live";

    /// <summary>The agent reloaded its own session (ACP <c>session/resume</c> or <c>session/load</c>, <c>--resume</c>,
    /// <c>exec resume</c>).</summary>
    public const string Resumed = "resumed";

    /// <summary>A new session, fed the producer's transcript.</summary>
    public const string Transcript = "transcript";

    /// <summary>A new session with nothing of the conversation: no transcript was sent.</summary>
    public const string None = "none";

    public static readonly IReadOnlyList<string> All = [First, Live, Resumed, Transcript, None];

    /// <summary>The fidelity of a turn that got a session.</summary>
    /// <param name="continued">The conversation had turns before this one (the <c>turn</c> label).</param>
    /// <param name="sessionKind">How the session was obtained (<see cref="StartKinds"/>).</param>
    /// <param name="transcriptSent">The prompt sent carries the producer's transcript (<c>TranscriptPrompt</c>).</param>
    public static string Of(bool continued, string sessionKind, bool transcriptSent)
    {
        if (!continued)
        {
            return First;
        }

        return sessionKind switch
        {
            StartKinds.Live => Live,
            StartKinds.Resumed => Resumed,
            _ => transcriptSent ? Transcript : None,
        };
    }

    /// <summary>True for a profile whose continued turns are meant to keep the agent's own session (<c>live</c> or
    /// <c>resumed</c>): its family can resume and its <c>Resume</c> is not <c>none</c>. Elsewhere a new session fed the
    /// transcript is the design (gemini over ACP, plain CLIs), so the fidelity alert leaves such a profile alone.</summary>
    public static bool ProfileResumes(ResolvedProfile profile, FamilyTraits traits) =>
        profile.Options.Resume != ResumeMode.None && (traits.ServesManySessions || traits.ResumesAtLaunch);
}
