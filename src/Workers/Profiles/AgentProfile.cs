namespace Workers.Profiles;

/// <summary>An operator-configured agent (<c>Workers:Profiles:&lt;name&gt;</c>). Producers choose a profile by
/// name; they never choose commands.</summary>
public sealed class AgentProfile
{
    /// <summary>The profile's name: its key under <c>Workers:Profiles</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>False takes the profile out of service entirely (no pool, unknown to producers), e.g. a shipped profile an
    /// operator does not want.</summary>
    /// <value>The default is true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The runtime family: the name or an alias of a driver in <c>Families/AgentDrivers.cs</c> (built in:
    /// <c>claude-stream-json</c>, <c>acp-json-rpc</c>, <c>json-event-stream</c>, <c>plain</c>).</summary>
    public string Family { get; set; } = "";

    /// <summary>The executable: an absolute path, a path relative to the service's own base directory, or a name on PATH.</summary>
    public string Command { get; set; } = "";

    /// <summary>Arguments before the ones the family driver adds (session flags, the stdin marker).</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Extra environment for the child, on top of the minimal inherited set. Values are secrets: never logged or shown.</summary>
    public Dictionary<string, string> Env { get; set; } = [];

    /// <summary>The default working directory of the profile's sessions; relative paths are under the data directory.</summary>
    /// <value>The default is <c>workspaces/&lt;name&gt;</c> under the data directory.</value>
    public string WorkingDirectory { get; set; } = "";

    /// <summary>Directories under which a turn may ask for its own working directory (besides <see cref="WorkingDirectory"/>).</summary>
    public List<string> AllowedWorkingDirectories { get; set; } = [];

    /// <summary>The model the CLI is launched with, when the profile fixes one; part of the settings digest.</summary>
    public string? Model { get; set; }

    /// <summary>How to bring back a conversation's session in another process.</summary>
    /// <value>The default is <see cref="ResumeMode.Auto"/>.</value>
    public ResumeMode Resume { get; set; } = ResumeMode.Auto;

    /// <summary>Whether conversations of the profile are kept apart from each other: their own HOME and workspace, the agent in
    /// a sandbox (<c>specs/isolation.md</c>).</summary>
    /// <value>The default is <see cref="IsolationMode.Profile"/> (one trust domain); the shipped real-CLI profiles set
    /// <see cref="IsolationMode.Conversation"/>.</value>
    public IsolationMode Isolation { get; set; } = IsolationMode.Profile;

    /// <summary>The sandbox used in <see cref="IsolationMode.Conversation"/> isolation.</summary>
    public SandboxOptions Sandbox { get; set; } = new();

    public ProfileTimeouts Timeouts { get; set; } = new();

    public PermissionPolicy Permissions { get; set; } = new();

    /// <summary>The profile's warm pool.</summary>
    public PoolOptions Pool { get; set; } = new();

    /// <summary>Provider retries the agent may announce (Claude <c>system/api_retry</c>) before the turn fails as
    /// <c>api_retries_exhausted</c> instead of waiting out the CLI's own long retry loop.</summary>
    /// <value>The default is 3.</value>
    public int MaxProviderRetries { get; set; } = 3;

    /// <summary>ACP: whether Workers offers the agent <c>fs/read_text_file</c> and <c>fs/write_text_file</c> (confined to the
    /// session's working directory). Off, the agent reads and writes files itself.</summary>
    /// <value>The default is true. The shipped <c>gemini-acp</c> profile turns it off: gemini 0.61 cannot tell a missing
    /// file from a failed read through the client, so it could not create files.</value>
    public bool ClientFileSystem { get; set; } = true;

    /// <summary>Whether the agent's tools may run twice harmlessly. A turn whose worker was lost after the agent used a
    /// tool is started over only then; otherwise it fails <c>worker_lost_after_tool_use</c>, so that no file is written
    /// and no command run a second time.</summary>
    /// <value>The default is false.</value>
    public bool ToolsIdempotent { get; set; }

    /// <summary>The longest stdout line accepted from the agent; a longer one fails the turn as a protocol error.</summary>
    /// <value>The default is 8 MiB.</value>
    public int MaxLineBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The most stdout the agent may write while one turn runs; more fails the turn as a protocol error and retires the
    /// process. Everything a turn takes is held until it is stored (its events, its text), so this bounds what one turn of a
    /// flooding agent costs the service's memory and the store.</summary>
    /// <value>The default is 256 MiB, generous on purpose (a stream-json text delta is a line of a few hundred bytes, so a long
    /// agentic turn can write tens of MB); it must be at least <see cref="MaxLineBytes"/>.</value>
    public long MaxTurnOutputBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>ACP: the most text one <c>fs/read_text_file</c> answer may hold, in UTF-8 bytes; a read that would return more
    /// is refused (-32602 naming this setting) as soon as it gets there, so a file of any size costs the service at most this
    /// much. Lines before a <c>line</c> are scanned, not held, so an agent pages through a bigger file with
    /// <c>line</c>/<c>limit</c>.</summary>
    /// <value>The default is 8 MiB, as <see cref="MaxLineBytes"/>: an answer is one line to the agent.</value>
    public int MaxFileReadBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The scheduled synthetic turn that watches this profile (off unless <see cref="CanaryOptions.Cron"/> is set).</summary>
    public CanaryOptions Canary { get; set; } = new();
}
