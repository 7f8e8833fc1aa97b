namespace Workers.Profiles;

/// <summary>How a profile brings back a conversation's agent session in a process that does not hold it.</summary>
public enum ResumeMode
{
    /// <summary>ACP <c>session/resume</c> when advertised (no history replay), else <c>session/load</c>; launch flags elsewhere.</summary>
    Auto,

    /// <summary>Only ACP <c>session/resume</c> (or the family's launch flag).</summary>
    Resume,

    /// <summary>Only ACP <c>session/load</c> (or the family's launch flag).</summary>
    Load,

    /// <summary>Never resume: every process gets a new session and the producer's transcript is replayed.</summary>
    None,
}
