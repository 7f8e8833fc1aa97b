using Workers.Profiles;

namespace Workers.Isolation;

/// <summary>The directories of one sandboxed agent process: <c>conversation/</c>, seen inside as <c>/conversation</c>, holding
/// <c>home/</c> (HOME) and <c>workspace/</c> (the default working directory); <c>tmp/</c>, seen as <c>/tmp</c>. The process is
/// started before its conversation is known, with an empty HOME (the profile's template) and an empty workspace; a
/// conversation's own are renamed in over them when a turn leases it (<see cref="ConversationHandOver"/>). Renaming works
/// because the sandbox binds the parent, <c>conversation/</c>, not the two directories themselves.</summary>
public sealed class ProcessSlot
{
    /// <summary>What the agent sees as its conversation's directory.</summary>
    public const string ConversationMount = SandboxMounts.Conversation;

    /// <summary>The agent's HOME inside the sandbox.</summary>
    public const string HomeMount = SandboxMounts.Home;

    /// <summary>The agent's default working directory inside the sandbox (<see cref="SandboxMounts.Workspace"/>).</summary>
    public const string WorkspaceMount = SandboxMounts.Workspace;

    internal ProcessSlot(string root)
    {
        Root = root;
    }

    public string Root { get; }

    /// <summary>Bound at <see cref="ConversationMount"/>.</summary>
    public string ConversationDirectory => Path.Combine(Root, "conversation");

    public string Home => Path.Combine(ConversationDirectory, "home");

    public string Workspace => Path.Combine(ConversationDirectory, "workspace");

    public string Tmp => Path.Combine(Root, "tmp");

    /// <summary>Names the conversation whose files the slot holds, so a restart after a crash can put them back at rest.</summary>
    public string OwnerFile => Path.Combine(Root, "owner");

    /// <summary>The key of the conversation whose files the slot holds; null while it holds only its own fresh ones.</summary>
    public string? OwnerKey { get; internal set; }

    /// <summary>The host path behind a path the agent names; the path itself when it is outside <see cref="ConversationMount"/>.</summary>
    public string HostPathOf(string agentPath) =>
        agentPath == ConversationMount ? ConversationDirectory
        : agentPath.StartsWith(ConversationMount + "/", StringComparison.Ordinal)
            ? ConversationDirectory + agentPath[ConversationMount.Length..]
            : agentPath;
}
