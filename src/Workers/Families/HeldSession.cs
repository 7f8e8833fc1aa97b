namespace Workers.Families;

/// <summary>A session an agent process holds that no turn has used yet, and how it came by it: opened ahead of demand on a
/// ready process (<see cref="StartKinds.Prewarmed"/>: an ACP pre-opened session, a Claude process launched with its
/// session id), resumed or started by the launch itself (<see cref="StartKinds.Resumed"/> for <c>--resume</c> and
/// <c>exec resume</c>, <see cref="StartKinds.New"/>).</summary>
/// <param name="SessionId">The agent's session id; null for a process that has no sessions (plain CLIs), or whose id shows
/// only once the turn runs (a new codex thread).</param>
/// <param name="WorkingDirectory">The directory the session was opened in.</param>
/// <param name="Kind">One of <see cref="StartKinds.Prewarmed"/>, <see cref="StartKinds.Resumed"/>, <see cref="StartKinds.New"/>.</param>
public sealed record HeldSession(string? SessionId, string WorkingDirectory, string Kind);
