using Microsoft.Extensions.Options;
using Workers.Processes;

namespace Workers.Profiles;

/// <summary>The configured profiles, resolved once at start-up.</summary>
public sealed class ProfileCatalog
{
    private readonly Dictionary<string, ResolvedProfile> _profiles;
    private readonly FamilyNames? _families;

    public ProfileCatalog(IOptions<WorkersOptions> options, FamilyNames families)
        : this(options.Value, families)
    {
    }

    /// <param name="options">The profiles.</param>
    /// <param name="families">The family names the drivers answer to, to resolve aliases; without it a family is taken as written.</param>
    public ProfileCatalog(WorkersOptions options, FamilyNames? families = null)
    {
        _families = families;
        DataDirectory = options.DataDirectoryPath;
        _profiles = new Dictionary<string, ResolvedProfile>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, profile) in options.Profiles.Where(p => p.Value.Enabled))
        {
            profile.Name = name;
            var resolved = Resolve(profile, DataDirectory);
            if (resolved.IsAvailable)
            {
                // A prewarm directory no turn could run in is a configuration error: said at start-up, not at the first launch.
                _ = resolved.PrewarmDirectories;
            }

            _profiles[name] = resolved;
        }
    }

    public string DataDirectory { get; }

    public IReadOnlyCollection<ResolvedProfile> All => _profiles.Values;

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ResolvedProfile? profile) =>
        _profiles.TryGetValue(name, out profile);

    /// <summary>The named profile.</summary>
    /// <exception cref="KeyNotFoundException">No profile has that name.</exception>
    public ResolvedProfile Get(string name) =>
        _profiles.TryGetValue(name, out var profile)
            ? profile
            : throw new KeyNotFoundException($"No profile named '{name}'. Known: {string.Join(", ", _profiles.Keys.Order())}.");

    private static string SettingsDigest(AgentProfile profile)
    {
        var text = string.Join('\n', new[] { profile.Family, profile.Command, profile.Model ?? "" }
            .Concat(profile.Args)
            .Concat(profile.Env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")));
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
    }

    private ResolvedProfile Resolve(AgentProfile profile, string dataDirectory)
    {
        var home = Path.Combine(dataDirectory, "home", profile.Name);
        Directory.CreateDirectory(home);
        var workingDirectory = string.IsNullOrWhiteSpace(profile.WorkingDirectory)
            ? Path.Combine(dataDirectory, "workspaces", profile.Name)
            : Path.GetFullPath(profile.WorkingDirectory, dataDirectory);
        Directory.CreateDirectory(workingDirectory);
        var environment = ChildEnvironment.Build(profile, home);

        string? fileName = null;
        string? reason = null;
        string? errno = null;
        try
        {
            fileName = ExecutableResolver.Resolve(profile.Command, environment["PATH"]);
        }
        catch (SpawnFailedException ex)
        {
            reason = ex.Message;
            errno = ex.Errno;
        }

        string? sandbox = null;
        if (profile.Isolation == IsolationMode.Conversation && fileName is not null)
        {
            try
            {
                sandbox = ExecutableResolver.Resolve(profile.Sandbox.Command, environment["PATH"]);
            }
            catch (SpawnFailedException ex)
            {
                fileName = null;
                reason = $"Isolation 'Conversation' runs agents under bubblewrap, and '{profile.Sandbox.Command}' cannot be run: {ex.Message}";
                errno = ex.Errno;
            }
        }

        return new ResolvedProfile
        {
            Name = profile.Name,
            Options = profile,
            Family = _families?.TryCanonical(profile.Family, out var family) == true ? family : profile.Family.Trim(),
            FileName = fileName,
            UnavailableReason = reason,
            UnavailableErrno = errno,
            HomeDirectory = home,
            DefaultWorkingDirectory = RealRoot(workingDirectory),
            WorkingDirectoryRoots =
                [RealRoot(workingDirectory), .. profile.AllowedWorkingDirectories.Select(Path.GetFullPath).Select(RealRoot)],
            Environment = environment,
            Digest = SettingsDigest(profile),
            DataDirectory = dataDirectory,
            SandboxExecutable = sandbox,
            SandboxReadablePaths = sandbox is null ? [] : SandboxReadablePaths.Of(profile, fileName, environment, dataDirectory),
        };
    }

    /// <summary>A directory as its real path, taken now; as written when it does not exist (yet).</summary>
    private static string RealRoot(string directory) => RealPath.Resolve(directory) ?? Path.TrimEndingDirectorySeparator(directory);
}
