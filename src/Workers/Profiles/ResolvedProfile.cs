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

    public required string DefaultWorkingDirectory { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public bool IsAvailable => FileName is not null;

    /// <summary>A hash of the settings a live session depends on (command, args, env, model, family): a session
    /// opened under other settings is not reused live.</summary>
    public required string Digest { get; init; }

    /// <summary>The turn's working directory: the profile default, or a directory the profile allows.</summary>
    /// <exception cref="ArgumentException">The directory is not absolute, not allowed, or does not exist.</exception>
    public string ResolveWorkingDirectory(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested))
        {
            return DefaultWorkingDirectory;
        }

        if (!Path.IsPathRooted(requested))
        {
            throw new ArgumentException($"cwd '{requested}' must be an absolute path.");
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(requested));
        var roots = Options.AllowedWorkingDirectories.Select(Path.GetFullPath).Append(DefaultWorkingDirectory);
        if (!roots.Any(root => PathContainment.IsWithin(full, root)))
        {
            throw new ArgumentException($"cwd '{requested}' is outside the directories profile '{Name}' allows.");
        }

        if (!Directory.Exists(full))
        {
            throw new ArgumentException($"cwd '{requested}' does not exist.");
        }

        return full;
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
