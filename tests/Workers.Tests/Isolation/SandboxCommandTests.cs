using Workers.Isolation;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Tests.Isolation;

/// <summary>The bubblewrap command line of conversation isolation (<c>specs/isolation.md</c>, "What the sandbox allows"): what
/// it must always hold, and that the data directory stays hidden even under a path the operator made readable.</summary>
public sealed class SandboxCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("workers-sandbox-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Wrap_IsolatesProcessesDropsCapabilitiesAndBindsOnlyTheSlotWritable()
    {
        var profile = Profile(readOnly: []);
        var slot = SlotIn(_root);
        var agent = new LaunchSpec("/usr/bin/agent", ["--flag"], ProcessSlot.WorkspaceMount, new Dictionary<string, string> { ["HOME"] = "/x" },
            OutputFraming.Lines, 1024);

        var wrapped = SandboxCommand.Wrap(profile, agent, slot, ProcessSlot.WorkspaceMount);

        var args = string.Join(' ', wrapped.Arguments);
        Assert.Equal("/usr/bin/bwrap", wrapped.FileName);
        Assert.True(wrapped.Sandboxed);
        Assert.Contains("--unshare-pid", wrapped.Arguments);
        Assert.Contains("--cap-drop ALL", args, StringComparison.Ordinal);
        Assert.Contains("--die-with-parent", wrapped.Arguments);
        Assert.Contains($"--bind {slot.ConversationDirectory} /conversation", args, StringComparison.Ordinal);
        Assert.Contains($"--bind {slot.Tmp} /tmp", args, StringComparison.Ordinal);
        Assert.Equal(2, wrapped.Arguments.Count(a => a == "--bind"));
        Assert.EndsWith($"--chdir {ProcessSlot.WorkspaceMount} -- /usr/bin/agent --flag", args, StringComparison.Ordinal);
        Assert.Equal((ProcessSlot.HomeMount, "/tmp"), (wrapped.Environment["HOME"], wrapped.Environment["TMPDIR"]));
        Assert.Equal(slot.Root, wrapped.WorkingDirectory);
        Assert.DoesNotContain(profile.DataDirectory, args, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrap_CoversTheDataDirectory_WhenAReadablePathHoldsIt_AndBindsANamedWorkingDirectory()
    {
        var profile = Profile(readOnly: [_root]);
        var slot = SlotIn(_root);
        var named = Directory.CreateDirectory(Path.Combine(_root, "named")).FullName;
        var agent = new LaunchSpec("/usr/bin/agent", [], named, new Dictionary<string, string>(), OutputFraming.Lines, 1024);

        var wrapped = SandboxCommand.Wrap(profile, agent, slot, named);

        var args = wrapped.Arguments.ToList();
        var readable = args.IndexOf(_root) - 1;
        var hidden = args.IndexOf(profile.DataDirectory) - 1;
        Assert.Equal(("--ro-bind", "--tmpfs"), (args[readable], args[hidden]));
        Assert.True(hidden > readable, "the tmpfs must come after the bind it covers");
        Assert.Contains($"--bind {named} {named}", string.Join(' ', args), StringComparison.Ordinal);
    }

    [Fact]
    public void ReadablePaths_TakeThePackageTreeAndPath_NeverTheDataDirectoryRootOrSystem()
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var package = Directory.CreateDirectory(Path.Combine(_root, "cli", "node_modules", "agent")).FullName;
        var executable = Path.Combine(package, "cli.js");
        File.WriteAllText(executable, "");
        var bin = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        var profile = new AgentProfile { Sandbox = new SandboxOptions { ReadOnlyPaths = ["/", data, "/usr/share", "relative"] } };

        var paths = SandboxReadablePaths.Of(profile, executable, new Dictionary<string, string> { ["PATH"] = $"{bin}:/usr/bin" }, data);

        Assert.Equal([bin, Path.Combine(_root, "cli"), package], paths.Order(StringComparer.Ordinal));
    }

    private ResolvedProfile Profile(string[] readOnly)
    {
        var data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        var options = new AgentProfile { Name = "p", Isolation = IsolationMode.Conversation, Sandbox = new SandboxOptions { ReadOnlyPaths = [.. readOnly] } };
        return new ResolvedProfile
        {
            Name = "p", Options = options, Family = "acp-json-rpc", HomeDirectory = Path.Combine(data, "home", "p"),
            DefaultWorkingDirectory = Path.Combine(data, "workspaces", "p"), Environment = new Dictionary<string, string>(), Digest = "d",
            DataDirectory = data, SandboxExecutable = "/usr/bin/bwrap",
            SandboxReadablePaths = SandboxReadablePaths.Of(options, null, new Dictionary<string, string>(), data),
        };
    }

    private static ProcessSlot SlotIn(string root)
    {
        var files = new ConversationFiles(root, new ResolvedProfile
        {
            Name = "p", Options = new AgentProfile(), Family = "acp-json-rpc", HomeDirectory = Path.Combine(root, "template"),
            DefaultWorkingDirectory = Path.Combine(root, "ws"), Environment = new Dictionary<string, string>(), Digest = "d",
        });
        return new ConversationHandOver(files, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).CreateSlot();
    }
}
