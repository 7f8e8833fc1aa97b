namespace Workers.Profiles;

/// <summary>What a sandboxed agent may read of the host (<c>specs/isolation.md</c>, "What the sandbox allows"), worked out once
/// when the profile is resolved; <c>Isolation/SandboxCommand.cs</c> binds it read-only.</summary>
public static class SandboxReadablePaths
{
    /// <summary>The system directories every agent reads; on a merged-/usr system the top-level ones are symlinks into /usr and
    /// stay symlinks.</summary>
    public static readonly IReadOnlyList<string> SystemDirectories = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    /// <summary>The directories an agent of <paramref name="profile"/> may read besides the system: the child's PATH, the
    /// executable's install tree (for an npm package, the folder that holds its <c>node_modules</c>), <c>DOTNET_ROOT</c>, the
    /// operator's <c>Sandbox:ReadOnlyPaths</c>; real paths, parents before children, none inside the data directory.</summary>
    public static IReadOnlyList<string> Of(AgentProfile profile, string? executable, IReadOnlyDictionary<string, string> environment,
        string dataDirectory)
    {
        var candidates = new List<string>();
        if (environment.GetValueOrDefault("PATH") is { } searchPath)
        {
            candidates.AddRange(searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries));
        }

        if (executable is not null && RealPath.Resolve(executable) is { } real)
        {
            var packages = real.IndexOf("/node_modules/", StringComparison.Ordinal);
            candidates.Add(packages > 0 ? real[..packages] : Path.GetDirectoryName(real)!);
            candidates.Add(Path.GetDirectoryName(executable)!);
        }

        if (environment.GetValueOrDefault("DOTNET_ROOT") is { } dotnetRoot)
        {
            candidates.Add(dotnetRoot);
        }

        candidates.AddRange(profile.Sandbox.ReadOnlyPaths);
        return [.. candidates
            .Where(Path.IsPathRooted)
            .Select(RealPath.Resolve)
            .OfType<string>()
            .Where(path => path != "/" && !PathContainment.IsWithin(path, dataDirectory) && !SystemDirectories.Any(s => PathContainment.IsWithin(path, s)))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(path => path.Length)];
    }
}
