using Workers.Processes;
using Workers.Profiles;

namespace Workers.Isolation;

/// <summary>The bubblewrap command line that runs an agent in its conversation's sandbox (<c>specs/isolation.md</c>, "The
/// sandbox"): a read-only system, the slot's <c>conversation/</c> at <c>/conversation</c> and its <c>tmp/</c> at <c>/tmp</c>
/// as the only writable places (and a working directory the turn named, at its own path), no view of any other process
/// (<c>--unshare-pid</c>: without it <c>/proc/&lt;pid&gt;/root</c> leads into another sandbox), and no capabilities (as root
/// bwrap would otherwise keep them all). The network is the host's.</summary>
public static class SandboxCommand
{
    /// <summary>The system directories' mounts, the same for every agent: read-only binds, or symlinks where the host has them
    /// (merged /usr). Looked at once, not at every spawn.</summary>
    private static readonly Lazy<IReadOnlyList<string>> SystemMounts = new(() =>
    {
        var mounts = new List<string>();
        foreach (var directory in SandboxReadablePaths.SystemDirectories)
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is { } target)
            {
                mounts.AddRange(["--symlink", target, directory]);
            }
            else if (info.Exists)
            {
                mounts.AddRange(["--ro-bind", directory, directory]);
            }
        }

        return mounts;
    });


    /// <summary>The launch of <paramref name="agent"/> inside the sandbox of <paramref name="slot"/>.</summary>
    /// <param name="profile">The agent's profile: what it may read.</param>
    /// <param name="agent">The agent's own launch, as its family built it.</param>
    /// <param name="slot">The process's directories.</param>
    /// <param name="sessionWorkingDirectory">The working directory the process is launched for, as the agent sees it:
    /// <see cref="ProcessSlot.WorkspaceMount"/>, or a directory the turn named, which is then bound read-write at its own path. The
    /// agent starts in <paramref name="agent"/>'s working directory (an ACP agent is told its session's directory later).</param>
    public static LaunchSpec Wrap(ResolvedProfile profile, LaunchSpec agent, ProcessSlot slot, string sessionWorkingDirectory)
    {
        var arguments = new List<string>
        {
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL", "--die-with-parent",
        };
        arguments.AddRange(SystemMounts.Value);
        foreach (var path in profile.SandboxReadablePaths)
        {
            arguments.AddRange(["--ro-bind", path, path]);
        }

        // Whatever a readable path may hold of the service's files or of directories other conversations name is covered.
        foreach (var hidden in profile.WorkingDirectoryRoots.Prepend(profile.DataDirectory).Distinct(StringComparer.Ordinal))
        {
            if (profile.SandboxReadablePaths.Any(path => PathContainment.IsWithin(hidden, path)))
            {
                arguments.AddRange(["--tmpfs", hidden]);
            }
        }

        arguments.AddRange(["--dev", "/dev", "--proc", "/proc", "--bind", slot.Tmp, "/tmp", "--bind", slot.ConversationDirectory, ProcessSlot.ConversationMount]);
        if (sessionWorkingDirectory != ProcessSlot.WorkspaceMount)
        {
            arguments.AddRange(["--bind", sessionWorkingDirectory, sessionWorkingDirectory]);
        }

        arguments.AddRange(["--chdir", agent.WorkingDirectory, "--", agent.FileName, .. agent.Arguments]);
        var environment = new Dictionary<string, string>(agent.Environment, StringComparer.Ordinal)
        {
            ["HOME"] = ProcessSlot.HomeMount,
            ["TMPDIR"] = "/tmp",
        };
        return agent with
        {
            FileName = profile.SandboxExecutable ?? throw new SpawnFailedException("ENOENT", $"Profile '{profile.Name}' has no sandbox executable."),
            Arguments = arguments,
            WorkingDirectory = slot.Root,
            Environment = environment,
            Sandboxed = true,
        };
    }
}
