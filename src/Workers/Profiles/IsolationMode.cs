namespace Workers.Profiles;

/// <summary>What one agent process of a profile may reach of the profile's other conversations (<c>specs/isolation.md</c>).</summary>
public enum IsolationMode
{
    /// <summary>The profile is one trust domain: every conversation shares its HOME and default working directory, and the agent
    /// runs unconfined as the service's user. For one user's agents, or agents whose every conversation may see the others.</summary>
    Profile,

    /// <summary>Every conversation has its own HOME and workspace, and the agent runs in a sandbox (bubblewrap) that shows it only
    /// the current conversation's files, its scratch space and a read-only system: one user's agent cannot read or change another
    /// user's conversation.</summary>
    Conversation,
}
