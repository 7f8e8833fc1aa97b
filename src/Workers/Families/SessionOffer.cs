namespace Workers.Families;

/// <summary>What a live agent process can give a turn as its session: the input of the session rung
/// (<c>Pooling/Ladder/SessionRung.cs</c>), which chooses; the connection then carries out the chosen
/// <see cref="SessionStep"/>.</summary>
/// <param name="LiveSessionId">The session the process's last turn used; null before its first turn.</param>
/// <param name="LiveWorkingDirectory">That session's directory.</param>
/// <param name="Waiting">A session held for the next turn that no turn has used yet.</param>
/// <param name="CanResume">The live process can resume a session on request (ACP <c>session/resume</c> or
/// <c>session/load</c>, as the profile's <c>Resume</c> and the agent's capabilities allow).</param>
/// <param name="CanOpen">The live process can open a new session (ACP <c>session/new</c>).</param>
/// <param name="HasSessions">False for CLIs without sessions (plain): the transcript carries the conversation.</param>
public sealed record SessionOffer(
    string? LiveSessionId,
    string? LiveWorkingDirectory,
    HeldSession? Waiting,
    bool CanResume,
    bool CanOpen,
    bool HasSessions = true);
