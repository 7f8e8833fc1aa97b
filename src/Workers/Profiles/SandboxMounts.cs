namespace Workers.Profiles;

/// <summary>Where a sandboxed agent (<see cref="IsolationMode.Conversation"/>) sees its conversation: fixed paths, the same in
/// every process, so that CLIs keying their session files by working directory (Claude Code, Gemini) find them again in any
/// process (<c>specs/isolation.md</c>).</summary>
public static class SandboxMounts
{
    /// <summary>The conversation's directory: its HOME and workspace below.</summary>
    public const string Conversation = "/conversation";

    /// <summary>The agent's HOME.</summary>
    public const string Home = "/conversation/home";

    /// <summary>The agent's default working directory.</summary>
    public const string Workspace = "/conversation/workspace";
}
