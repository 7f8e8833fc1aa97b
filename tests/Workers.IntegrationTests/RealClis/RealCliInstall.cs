namespace Workers.IntegrationTests.RealClis;

/// <summary>Where <c>.ci/prepare.sh</c> installed the pinned CLIs: <c>$WORKERS_CLI_DIR</c>, else
/// <c>$HOME/.cache/workers-clis</c>; each CLI's executable is linked into its <c>bin</c> folder.</summary>
public static class RealCliInstall
{
    public const string DirectoryVariable = "WORKERS_CLI_DIR";

    public static string Directory =>
        Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "workers-clis");

    public static string BinDirectory => Path.Combine(Directory, "bin");

    /// <summary>The CLI's executable, or null when it is not installed.</summary>
    public static string? Find(string executable)
    {
        var path = Path.Combine(BinDirectory, executable);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The PATH the real-CLI profiles get: the tools' bin folder first, then the service's own (node lives there).</summary>
    public static string ChildPath =>
        $"{BinDirectory}:{Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"}";

    /// <summary>True where the real CLIs are required (CI sets <c>CI=true</c>): a CLI marked required that is missing
    /// there fails its tests instead of skipping them.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
