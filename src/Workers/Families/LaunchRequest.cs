namespace Workers.Families;

/// <summary>What a process is launched for.</summary>
/// <param name="WorkingDirectory">The process's working directory (fixed for the process's sessions except in ACP).</param>
/// <param name="ResumeSessionId">For families where resume is a launch flag: the session to resume.</param>
/// <param name="PresetSessionId">For Claude: the id the new session gets (<c>--session-id</c>), so a prewarmed
/// process has its session before any turn arrives.</param>
/// <param name="Slot">In conversation isolation, the process's sandbox directories; <paramref name="WorkingDirectory"/> is then
/// the path the agent sees.</param>
public sealed record LaunchRequest(string WorkingDirectory, string? ResumeSessionId = null, string? PresetSessionId = null,
    Isolation.ProcessSlot? Slot = null);
