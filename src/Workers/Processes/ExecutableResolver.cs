namespace Workers.Processes;

/// <summary>Finds a profile's executable before it is launched, so a missing or non-executable file is
/// reported with its errno instead of as an anonymous early exit of the launcher.</summary>
public static class ExecutableResolver
{
    /// <summary>Resolves <paramref name="command"/>: an absolute path; a path relative to the service's base
    /// directory (where the simulated agent ships); else a name on <paramref name="searchPath"/>.</summary>
    /// <exception cref="SpawnFailedException">ENOENT when nothing is found, EACCES when the file is not executable.</exception>
    public static string Resolve(string command, string? searchPath)
    {
        if (Path.IsPathRooted(command))
        {
            return Check(command);
        }

        var besideService = Path.Combine(AppContext.BaseDirectory, command);
        if (File.Exists(besideService))
        {
            return Check(besideService);
        }

        if (!command.Contains('/', StringComparison.Ordinal))
        {
            foreach (var directory in (searchPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(directory, command);
                if (File.Exists(candidate) && IsExecutable(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new SpawnFailedException("ENOENT", $"Command '{command}' was not found (base directory or PATH).");
    }

    private static string Check(string path)
    {
        if (!File.Exists(path))
        {
            throw new SpawnFailedException("ENOENT", $"Command '{path}' does not exist.");
        }

        if (!IsExecutable(path))
        {
            throw new SpawnFailedException("EACCES", $"Command '{path}' is not executable.");
        }

        return path;
    }

    private static bool IsExecutable(string path) =>
        (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
