using Workers.Processes;

namespace Workers.Profiles;

/// <summary>A profile made ready to launch: family named canonically, directories made, executable resolved. A profile
/// whose executable is missing is kept, with <see cref="UnavailableReason"/>, so operators see why.</summary>
public sealed class ResolvedProfile
{
    public required string Name { get; init; }

    public required AgentProfile Options { get; init; }

    /// <summary>The canonical name of the profile's runtime family (an alias in the configuration is resolved).</summary>
    public required string Family { get; init; }

    /// <summary>The executable; null when the profile is unavailable.</summary>
    public string? FileName { get; init; }

    public string? UnavailableReason { get; init; }

    /// <summary>The spawn failure's errno (ENOENT, EACCES) when unavailable.</summary>
    public string? UnavailableErrno { get; init; }

    public required string HomeDirectory { get; init; }

    /// <summary>The profile's default working directory; in conversation isolation, the folder that holds every conversation's
    /// own workspace.</summary>
    public required string DefaultWorkingDirectory { get; init; }

    /// <summary>The service's data directory, which no sandboxed agent sees.</summary>
    public string DataDirectory { get; init; } = "";

    public IsolationMode Isolation => Options.Isolation;

    /// <summary>The default working directory as the agent sees it: the profile's, or in conversation isolation the sandbox's
    /// <c>/conversation/workspace</c>, the same for every conversation.</summary>
    public string AgentWorkingDirectory => Isolation == IsolationMode.Conversation ? SandboxMounts.Workspace : DefaultWorkingDirectory;

    /// <summary>In conversation isolation, the resolved bubblewrap executable (null when it is missing: the profile is then
    /// unavailable).</summary>
    public string? SandboxExecutable { get; init; }

    /// <summary>In conversation isolation, what the agent may read besides the system (<c>Isolation/SandboxCommand.cs</c>).</summary>
    public IReadOnlyList<string> SandboxReadablePaths { get; init; } = [];

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public bool IsAvailable => FileName is not null;

    /// <summary>A hash of the settings a live session depends on (command, args, env, model, family): a session
    /// opened under other settings is not reused live.</summary>
    public required string Digest { get; init; }

    /// <summary>Where a turn's working directory may lie, as real paths taken when the catalog resolved the profile (a root
    /// that did not exist then is kept as written): the default directory and every allowed one. A root swapped for a
    /// symlink later does not move them. Empty when the profile was not built by the catalog: the default directory alone.</summary>
    public IReadOnlyList<string> WorkingDirectoryRoots { get; init; } = [];

    /// <summary>The turn's working directory as its real path (every symlink resolved): the profile default, or a directory
    /// the profile allows. Resolved at enqueue and again when the turn runs, so a directory swapped for a symlink in between
    /// is caught; agents are launched and sessions opened in the real path this returns.</summary>
    /// <exception cref="WorkingDirectoryLeadsOutsideException">A symlink leads outside the allowed directories.</exception>
    /// <exception cref="ArgumentException">The directory is not absolute, not inside the allowed ones, or does not exist.</exception>
    public string ResolveWorkingDirectory(string? requested)
    {
        var asked = string.IsNullOrWhiteSpace(requested) ? null : requested;
        if (asked is null && Isolation == IsolationMode.Conversation)
        {
            // The conversation's own workspace, brought into the sandbox at this fixed path.
            return AgentWorkingDirectory;
        }

        var named = asked is null ? $"the working directory of profile '{Name}'" : $"cwd '{asked}'";
        var path = asked ?? DefaultWorkingDirectory;
        if (!Path.IsPathRooted(path))
        {
            throw new ArgumentException($"{named} must be an absolute path.");
        }

        IReadOnlyList<string> roots = WorkingDirectoryRoots.Count > 0 ? WorkingDirectoryRoots : [DefaultWorkingDirectory];
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var configured = Options.AllowedWorkingDirectories.Select(Path.GetFullPath).Append(DefaultWorkingDirectory).Concat(roots);
        if (!configured.Any(root => PathContainment.IsWithin(full, root)))
        {
            throw new ArgumentException($"{named} is outside the directories profile '{Name}' allows.");
        }

        if (Isolation == IsolationMode.Conversation && PathContainment.IsWithin(full, DefaultWorkingDirectory))
        {
            // There every conversation keeps its own workspace: naming it (or one of them) would reach the others.
            throw new ArgumentException(
                $"{named} is inside the folder of profile '{Name}' that holds every conversation's workspace; in conversation isolation a turn names no cwd (its own workspace) or one of AllowedWorkingDirectories.");
        }

        if (!Directory.Exists(full) || RealPath.Resolve(full) is not { } real)
        {
            throw new ArgumentException($"{named} does not exist.");
        }

        if (!roots.Any(root => PathContainment.IsWithin(real, root)))
        {
            // Through a symlink: said without naming where it leads, which is outside what the producer may see.
            throw new WorkingDirectoryLeadsOutsideException(
                $"{named} leads outside the directories profile '{Name}' allows (through a symbolic link).");
        }

        return real;
    }

    /// <summary>The directories of <c>Pool:WorkingDirectories</c> as real paths, resolved (and checked) the way a turn's
    /// <c>cwd</c> is, once.</summary>
    /// <exception cref="InvalidOperationException">An entry names a directory where no turn of the profile may run.</exception>
    public IReadOnlyList<WarmDirectory> PrewarmDirectories => _prewarmDirectories ??= ResolvePrewarmDirectories();

    private IReadOnlyList<WarmDirectory>? _prewarmDirectories;

    private List<WarmDirectory> ResolvePrewarmDirectories()
    {
        var resolved = new List<WarmDirectory>();
        foreach (var entry in Options.Pool.WorkingDirectories)
        {
            var field = $"Workers:Profiles:{Name}:Pool:WorkingDirectories '{entry.Name}'";
            string path;
            try
            {
                path = ResolveWorkingDirectory(entry.Path);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidOperationException($"{field}: {ex.Message}", ex);
            }

            if (path == AgentWorkingDirectory || resolved.Exists(d => d.Path == path))
            {
                // Two sets for one directory would split its processes and its demand between them.
                throw new InvalidOperationException($"{field}: '{entry.Path}' is the profile's own working directory or another entry's.");
            }

            resolved.Add(new WarmDirectory(entry.Name, path));
        }

        return resolved;
    }

    /// <summary>The launch spec of a process of this profile.</summary>
    public LaunchSpec CreateLaunchSpec(IReadOnlyList<string> arguments, string workingDirectory, OutputFraming framing)
    {
        if (FileName is null)
        {
            throw new SpawnFailedException(UnavailableErrno ?? "ENOENT", UnavailableReason ?? $"Profile '{Name}' is unavailable.");
        }

        return new LaunchSpec(FileName, arguments, workingDirectory, Environment, framing, Options.MaxLineBytes);
    }
}
