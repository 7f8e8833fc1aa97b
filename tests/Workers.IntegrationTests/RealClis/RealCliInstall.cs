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

    /// <summary>The install folder of an installed CLI (the folder holding its <c>node_modules</c>), or null: what a sandboxed
    /// agent that runs it as a child must be able to read besides its own (each CLI here has its own npm prefix; in the image
    /// they share <c>/opt/agents/lib</c>, which the sandbox already shows).</summary>
    public static string? InstallFolderOf(string executable)
    {
        if (Find(executable) is not { } link || new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true) is not { } target)
        {
            return null;
        }

        var real = target.FullName;
        var packages = real.IndexOf("/node_modules/", StringComparison.Ordinal);
        return packages > 0 ? real[..packages] : Path.GetDirectoryName(real);
    }

    /// <summary>The PATH the real-CLI profiles get: the tools' bin folder first, then the service's own (node lives there).</summary>
    public static string ChildPath =>
        $"{BinDirectory}:{Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"}";

    /// <summary>True where the real CLIs are required (CI sets <c>CI=true</c>): a CLI marked required that is missing
    /// there fails its tests instead of skipping them.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}
