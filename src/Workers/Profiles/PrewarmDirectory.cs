namespace Workers.Profiles;

/// <summary>A directory besides the profile's default for which the pool keeps processes ready
/// (<c>Workers:Profiles:&lt;name&gt;:Pool:WorkingDirectories</c>, <c>specs/pool.md</c>, "Warm sets"). A CLI that fixes its
/// working directory at launch (Claude Code, codex) can serve a turn for another directory only from a process launched
/// there: without an entry, every such turn is a cold start.</summary>
public sealed class PrewarmDirectory
{
    /// <summary>The longest <see cref="Name"/>.</summary>
    public const int MaxNameLength = 40;

    /// <summary>The name of the profile's own working directory's set, which a configured one may not take.</summary>
    public const string DefaultName = "default";

    /// <summary>How the directory is named in the metrics (the <c>directory</c> label) and on <c>/v1/pools</c>: lower-case
    /// letters, digits, <c>-</c>, <c>_</c>; never the path, so the label's values are the configured names only.</summary>
    public string Name { get; set; } = "";

    /// <summary>An absolute path where the profile lets a turn run: inside <c>AllowedWorkingDirectories</c> (or the default
    /// directory). Resolved to its real path at start-up, as a turn's <c>cwd</c> is.</summary>
    public string Path { get; set; } = "";

    /// <summary>Ready processes kept for this directory at all times.</summary>
    /// <value>The default is 1.</value>
    public int MinReady { get; set; } = 1;

    /// <summary>The ceiling of this directory's adaptive prewarm target.</summary>
    /// <value>The default is 2.</value>
    public int MaxReady { get; set; } = 2;
}
