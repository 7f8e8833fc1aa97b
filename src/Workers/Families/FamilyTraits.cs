namespace Workers.Families;

/// <summary>What a runtime family tells the pool and the runners about its processes, so that neither decides by
/// family (<c>docs/architecture.md</c>, "a new family").</summary>
/// <param name="ServesManyTurns">One process runs many turns (else it is retired after its turn).</param>
/// <param name="ServesManySessions">A live process can open, resume and drop sessions, each with its own working
/// directory (ACP). When false, the process holds one session fixed at launch, in its launch directory: a turn for
/// another directory needs a process launched for it, and a process whose session is let go is retired rather than
/// handed to another conversation.</param>
/// <param name="ResumesAtLaunch">Resuming a session is a launch flag (<c>--resume</c>, <c>exec resume</c>): a resumed
/// turn needs a process launched for it.</param>
/// <param name="PresetsSessionAtLaunch">A new process is launched with its session id (<c>--session-id</c>), so a
/// pool-started process holds its session before any turn asks: its first turn's session is <c>prewarmed</c>.</param>
/// <param name="PreopensSessions">A session can be opened on a ready process ahead of demand
/// (<see cref="IAgentConnection.PreopenSessionAsync"/>).</param>
public sealed record FamilyTraits(
    bool ServesManyTurns,
    bool ServesManySessions,
    bool ResumesAtLaunch,
    bool PresetsSessionAtLaunch,
    bool PreopensSessions);
