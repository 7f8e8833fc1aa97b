using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Workers.Profiles;

namespace Workers.Benchmarks;

/// <summary>A shipped real-CLI profile (from <c>src/Workers.Host/appsettings.json</c>) pointed at the model stub: the
/// tools folder of <c>.ci/prepare.sh</c> on its PATH, the stub's URL in its environment and HOME files. The same
/// settings as the end-to-end tests (<c>tests/Workers.IntegrationTests/RealClis/RealCli.cs</c>).</summary>
internal static class RealCliSetup
{
    public static string ToolsBin =>
        Path.Combine(Environment.GetEnvironmentVariable("WORKERS_CLI_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "workers-clis"), "bin");

    public static AgentProfile Load(string name)
    {
        var path = AppSettingsPath();
        var section = new ConfigurationBuilder().AddJsonFile(path).Build().GetSection($"Workers:Profiles:{name}");
        if (!section.Exists())
        {
            throw new ArgumentException($"No shipped profile '{name}' in {path}.");
        }

        var profile = new AgentProfile();
        section.Bind(profile);
        return profile;
    }

    /// <summary>Points the profile at the stub and writes its HOME files under <paramref name="home"/>.</summary>
    public static void PointAtStub(string name, AgentProfile profile, string stubUrl, string home)
    {
        profile.Env["PATH"] = $"{ToolsBin}:{Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"}";
        var files = new Dictionary<string, string>();
        switch (profile.Command)
        {
            case "claude" or "claude-agent-acp":
                profile.Env["ANTHROPIC_BASE_URL"] = stubUrl;
                profile.Env["ANTHROPIC_API_KEY"] = "stub-key";
                // claude-agent-acp runs the claude on its PATH (CLAUDE_CODE_EXECUTABLE), which lives in its own npm prefix in
                // the tools folder: the sandbox must show that prefix too (in the image both share /opt/agents/lib).
                if (profile.Env.GetValueOrDefault("CLAUDE_CODE_EXECUTABLE") is { } claude && InstallFolderOf(claude) is { } folder)
                {
                    profile.Sandbox.ReadOnlyPaths.Add(folder);
                }

                break;
            case "codex" or "codex-acp":
                profile.Env["STUB_API_KEY"] = "stub-key";
                files[".codex/config.toml"] = $"""
                    model = "gpt-5.5"
                    model_provider = "stub"

                    [model_providers.stub]
                    name = "stub"
                    base_url = "{stubUrl}/v1"
                    env_key = "STUB_API_KEY"
                    wire_api = "responses"
                    """;
                break;
            case "gemini":
                profile.Env["GEMINI_API_KEY"] = "stub-key";
                profile.Env["GOOGLE_GEMINI_BASE_URL"] = stubUrl;
                files[".gemini/settings.json"] = JsonSerializer.Serialize(new
                {
                    security = new { auth = new { selectedType = "gemini-api-key" } },
                    privacy = new { usageStatisticsEnabled = false },
                    general = new { disableAutoUpdate = true, disableUpdateNag = true },
                    telemetry = new { enabled = false },
                });
                break;
            case "opencode":
                files[".config/opencode/opencode.json"] = JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["model"] = "anthropic/claude-sonnet-4-5",
                    ["small_model"] = "anthropic/claude-sonnet-4-5",
                    ["autoupdate"] = false,
                    ["share"] = "disabled",
                    ["provider"] = new { anthropic = new { options = new { baseURL = $"{stubUrl}/v1", apiKey = "stub-key" } } },
                });
                break;
            default:
                throw new ArgumentException($"Profile '{name}' runs '{profile.Command}', which the benchmark cannot point at the stub.");
        }

        foreach (var (relative, content) in files)
        {
            var file = Path.Combine(home, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }
    }

    /// <summary>The folder holding the <c>node_modules</c> of a CLI linked in the tools' bin, or null.</summary>
    private static string? InstallFolderOf(string executable)
    {
        var link = Path.Combine(ToolsBin, executable);
        if (!File.Exists(link) || new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true) is not { } target)
        {
            return null;
        }

        var packages = target.FullName.IndexOf("/node_modules/", StringComparison.Ordinal);
        return packages > 0 ? target.FullName[..packages] : Path.GetDirectoryName(target.FullName);
    }

    /// <summary>The CLI's version as its <c>--version</c> prints it (not every CLI has one).</summary>
    public static string Version(string command)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Path.Combine(ToolsBin, command), "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            })!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
            }

            return string.IsNullOrWhiteSpace(output) ? "?" : output.Trim();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException or InvalidOperationException)
        {
            return "?";
        }
    }

    private static string AppSettingsPath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "Workers.Host", "appsettings.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("src/Workers.Host/appsettings.json not found above the benchmark's base directory.");
    }
}
