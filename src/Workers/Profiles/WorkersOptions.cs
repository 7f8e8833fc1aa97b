namespace Workers.Profiles;

/// <summary>The <c>Workers</c> configuration section.</summary>
public sealed class WorkersOptions
{
    public const string SectionName = "Workers";

    /// <summary>Where the service keeps its store, the profiles' home directories and default workspaces.</summary>
    /// <value>The default is <c>./data</c>, relative to the working directory of the service.</value>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The configured agents by name.</summary>
    public Dictionary<string, AgentProfile> Profiles { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The absolute data directory.</summary>
    public string DataDirectoryPath => Path.GetFullPath(DataDirectory);
}
