namespace Workers.Profiles;

/// <summary>The environment an agent process gets: a few variables every CLI needs, a persistent
/// per-profile HOME under the data directory (so <c>--resume</c> finds its transcripts and no operator
/// credential leaks in by accident), and the profile's own <c>Env</c>. Nothing else from the service.</summary>
public static class ChildEnvironment
{
    /// <summary>Inherited from the service when set. DOTNET_ROOT is here because .NET apphosts (the simulated
    /// agent) need it when .NET is installed off the default path; it carries no credential.</summary>
    public static readonly IReadOnlyList<string> Inherited = ["PATH", "LANG", "TZ", "TMPDIR", "DOTNET_ROOT"];

    public static Dictionary<string, string> Build(AgentProfile profile, string homeDirectory)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Inherited)
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                environment[name] = value;
            }
        }

        environment["PATH"] = environment.GetValueOrDefault("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        environment["HOME"] = homeDirectory;
        foreach (var (name, value) in profile.Env)
        {
            environment[name] = value;
        }

        return environment;
    }
}
