using System.Text.Json;
using Workers.Profiles;

namespace Workers.IntegrationTests.RealClis;

/// <summary>One real agent CLI as the end-to-end tests drive it: the shipped profile's command, arguments and environment,
/// what its HOME must hold to reach the model stub, and what the tests expect of it (rungs, permission tool, errors).
/// Versions are those <c>.ci/prepare.sh</c> pins (<c>specs/families.md</c>, "Shipped real-CLI profiles").</summary>
public sealed record RealCli
{
    /// <summary>The profile name, as shipped in <c>appsettings.json</c>.</summary>
    public required string Profile { get; init; }

    /// <summary>The npm package at its pinned version.</summary>
    public required string Package { get; init; }

    public required string Executable { get; init; }

    public required string Family { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Environment pointing the CLI at the stub (the base URL is the argument), telemetry and updates off.</summary>
    public required Func<string, Dictionary<string, string>> Env { get; init; }

    /// <summary>Files the CLI reads from its HOME (path relative to HOME → content), given the stub's base URL.</summary>
    public Func<string, Dictionary<string, string>> HomeFiles { get; init; } = _ => [];

    public ResumeMode Resume { get; init; } = ResumeMode.Auto;

    /// <summary>Host folders the sandbox must show besides the CLI's own install tree (<c>Sandbox:ReadOnlyPaths</c>): the
    /// install folders of CLIs it runs as children.</summary>
    public Func<IReadOnlyList<string>> ReadOnlyPaths { get; init; } = () => [];

    public bool ClientFileSystem { get; init; } = true;

    /// <summary>Required in CI (<c>CI=true</c>): missing, its tests fail rather than skip.</summary>
    public bool RequiredInCi { get; init; }

    /// <summary>True when the CLI streams text (exec JSON of codex gives the whole message at the end).</summary>
    public bool StreamsText { get; init; } = true;

    /// <summary>The tool the stub asks for to make the CLI request a permission, with its input for a file to create
    /// (absolute path, content); null when the CLI never asks (codex exec runs with approvals off).</summary>
    public (string Tool, Func<string, string, string> Input)? PermissionTool { get; init; }

    /// <summary>Why <see cref="PermissionTool"/> is null.</summary>
    public string? NoPermissionReason { get; init; }

    /// <summary>The permission policy's allow list that lets <see cref="PermissionTool"/> through.</summary>
    public IReadOnlyList<string> Allow { get; init; } = [];

    /// <summary>The stub's forced HTTP errors and the reason each must end the turn with.</summary>
    public IReadOnlyList<(int Status, string Reason)> ModelErrors { get; init; } = [];

    /// <summary>(process, session) of a continued turn on the conversation's process.</summary>
    public (string Process, string Session) Continued { get; init; } = ("warm", "live");

    /// <summary>(process, session kinds allowed) of a continued turn after the conversation's process was killed.</summary>
    public (string Process, string[] Sessions) AfterKill { get; init; } = ("warm", ["resumed"]);

    /// <summary>The agent holds files open in its HOME from start-up (a SQLite database): in conversation isolation a ready
    /// process cannot take a conversation's files, so a resume is a launch with them (<c>state_open</c>, <c>specs/isolation.md</c>),
    /// and <see cref="AfterKill"/> is cold.</summary>
    public bool HoldsHomeOpen { get; init; }

    /// <summary>The session kind of a first turn on a prewarmed process.</summary>
    public string WarmFirstSession { get; init; } = "prewarmed";

    /// <summary>The Claude Code version the CLI must run, seen in its model requests (<c>cc_version=</c> in the system
    /// prompt's billing header); null for the CLIs that are not Claude Code.</summary>
    public string? RunsClaudeCode { get; init; }

    public string? Path => RealCliInstall.Find(Executable);

    /// <summary>The pinned Claude Code, which both Claude profiles run.</summary>
    public const string ClaudeCodeVersion = "2.1.332";

    public override string ToString() => Profile;

    private static Dictionary<string, string> AnthropicEnv(string url) => new()
    {
        ["ANTHROPIC_BASE_URL"] = url,
        ["ANTHROPIC_API_KEY"] = "stub-key",
        ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        ["DISABLE_AUTOUPDATER"] = "1",
        ["DISABLE_TELEMETRY"] = "1",
        ["DISABLE_ERROR_REPORTING"] = "1",
    };

    private static string Json(object value) => JsonSerializer.Serialize(value);

    private static Dictionary<string, string> CodexHome(string url) => new()
    {
        [".codex/config.toml"] = $"""
            model = "gpt-5.5"
            model_provider = "stub"

            [analytics]
            enabled = false

            [model_providers.stub]
            name = "stub"
            base_url = "{url}/v1"
            env_key = "STUB_API_KEY"
            wire_api = "responses"
            request_max_retries = 0
            stream_max_retries = 0
            """,
    };

    public static readonly RealCli Claude = new()
    {
        Profile = "claude",
        Package = $"@anthropic-ai/claude-code@{ClaudeCodeVersion}",
        RunsClaudeCode = ClaudeCodeVersion,
        Executable = "claude",
        Family = "claude-stream-json",
        Args = ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages",
            "--permission-prompt-tool", "stdio"],
        Env = AnthropicEnv,
        RequiredInCi = true,
        PermissionTool = ("Write", (file, content) => Json(new { file_path = file, content })),
        Allow = ["Write"],
        // 500: Claude retries with `system/api_retry` lines, cut short by MaxProviderRetries; 401: no retry in -p mode.
        ModelErrors = [(500, "api_retries_exhausted"), (401, "auth")],
        AfterKill = ("cold", ["resumed"]),
    };

    public static readonly RealCli ClaudeAgentAcp = new()
    {
        Profile = "claude-agent-acp",
        Package = "@zed-industries/claude-agent-acp@0.23.1",
        Executable = "claude-agent-acp",
        Family = "acp-json-rpc",
        // As shipped: CLAUDE_CODE_EXECUTABLE=claude makes it run the pinned Claude Code found on PATH (the tools' bin), not
        // the 2.1.83 its agent SDK bundles. IS_SANDBOX=1 keeps bypassPermissions offered to root; CLAUDE_CODE_MAX_RETRIES=0
        // stops its Claude Code retrying a failed model call 10 times.
        Env = url => new(AnthropicEnv(url))
        {
            ["CLAUDE_CODE_EXECUTABLE"] = "claude",
            ["IS_SANDBOX"] = "1",
            ["CLAUDE_CODE_MAX_RETRIES"] = "0",
        },
        RequiredInCi = true,
        RunsClaudeCode = ClaudeCodeVersion,
        // The claude it runs lives in its own npm prefix here (one per CLI), outside claude-agent-acp's install tree: the
        // sandbox shows only the link in the tools' bin. In the image both are under /opt/agents/lib, which it shows.
        ReadOnlyPaths = () => RealCliInstall.InstallFolderOf("claude") is { } folder ? [folder] : [],
        // Claude Code's own Write tool; the adapter asks with kind `edit` and Claude Code writes the file itself.
        PermissionTool = ("Write", (file, content) => Json(new { file_path = file, content })),
        Allow = ["edit"],
        ModelErrors = [(500, "provider_error"), (401, "auth")],
    };

    public static readonly RealCli Codex = new()
    {
        Profile = "codex",
        Package = "@openai/codex@0.171.0",
        Executable = "codex",
        Family = "json-event-stream",
        Args = ["exec", "--json", "--skip-git-repo-check", "-c", "analytics.enabled=false", "--disable", "plugins"],
        Env = _ => new() { ["STUB_API_KEY"] = "stub-key" },
        HomeFiles = CodexHome,
        RequiredInCi = true,
        StreamsText = false,
        NoPermissionReason = "codex exec --json never asks: approvals are off in exec mode, so there is no permission request to answer.",
        ModelErrors = [(500, "provider_error"), (401, "auth")],
        Continued = ("cold", "resumed"),
        AfterKill = ("cold", ["resumed"]),
        WarmFirstSession = "new",
    };

    public static readonly RealCli CodexAcp = new()
    {
        Profile = "codex-acp",
        Package = "@zed-industries/codex-acp@0.16.0",
        Executable = "codex-acp",
        Family = "acp-json-rpc",
        // ~/.codex/state_5.sqlite (the thread index), logs and memories databases, open from start-up.
        HoldsHomeOpen = true,
        AfterKill = ("cold", ["resumed"]),
        Env = _ => new() { ["STUB_API_KEY"] = "stub-key" },
        HomeFiles = CodexHome,
        PermissionTool = ("exec_command", (file, content) => Json(new
        {
            cmd = $"printf '%s' '{content}' > '{file}'",
            sandbox_permissions = "require_escalated",
            justification = "Write the test file",
        })),
        Allow = ["execute", "edit", "other"],
        ModelErrors = [(500, "provider_error"), (401, "auth")],
    };

    public static readonly RealCli GeminiAcp = new()
    {
        Profile = "gemini-acp",
        Package = "@google/gemini-cli@0.61.0",
        Executable = "gemini",
        Family = "acp-json-rpc",
        Args = ["--acp", "-m", "gemini-2.5-flash"],
        Env = url => new()
        {
            ["GEMINI_API_KEY"] = "stub-key",
            ["GOOGLE_GEMINI_BASE_URL"] = url,
            ["GEMINI_CLI_TRUST_WORKSPACE"] = "true",
        },
        HomeFiles = _ => new()
        {
            [".gemini/settings.json"] = Json(new
            {
                security = new { auth = new { selectedType = "gemini-api-key" } },
                privacy = new { usageStatisticsEnabled = false },
                general = new { disableAutoUpdate = true, disableUpdateNag = true },
                telemetry = new { enabled = false },
            }),
        },
        // gemini answers session/load of a session made over ACP with "Invalid session identifier": a new session
        // with the producer's transcript instead.
        Resume = ResumeMode.None,
        // Its ACP SDK rejects a failed fs/read_text_file with the raw error object, which gemini does not recognise as
        // "no such file": with the client's file system it can never create a file. It uses its own instead.
        ClientFileSystem = false,
        PermissionTool = ("write_file", (file, content) => Json(new { file_path = file, content })),
        Allow = ["edit"],
        // A 500 is retried for minutes (5 s, 10 s, 15 s … apart) with no setting to shorten it; a 401 is not retried.
        ModelErrors = [(401, "auth")],
        AfterKill = ("warm", ["prewarmed", "new"]),
    };

    public static readonly RealCli OpencodeAcp = new()
    {
        Profile = "opencode-acp",
        Package = "opencode-ai@1.18.33",
        Executable = "opencode",
        Family = "acp-json-rpc",
        Args = ["acp"],
        // opencode.db, open from start-up.
        HoldsHomeOpen = true,
        AfterKill = ("cold", ["resumed"]),
        Env = _ => new()
        {
            ["OPENCODE_DISABLE_AUTOUPDATE"] = "1",
            ["OPENCODE_DISABLE_SHARE"] = "1",
            ["OPENCODE_DISABLE_LSP_DOWNLOAD"] = "1",
        },
        HomeFiles = url => new()
        {
            [".config/opencode/opencode.json"] = Json(new Dictionary<string, object>
            {
                ["model"] = "anthropic/claude-sonnet-4-5",
                ["small_model"] = "anthropic/claude-sonnet-4-5",
                ["autoupdate"] = false,
                ["share"] = "disabled",
                ["permission"] = new { edit = "ask", bash = "ask" },
                ["provider"] = new { anthropic = new { options = new { baseURL = $"{url}/v1", apiKey = "stub-key" } } },
            }),
        },
        PermissionTool = ("write", (file, content) => Json(new { filePath = file, content })),
        Allow = ["edit"],
        ModelErrors = [(401, "auth")],
    };

    public static readonly IReadOnlyList<RealCli> All = [Claude, ClaudeAgentAcp, Codex, CodexAcp, GeminiAcp, OpencodeAcp];
}
