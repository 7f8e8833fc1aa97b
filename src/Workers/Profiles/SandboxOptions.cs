namespace Workers.Profiles;

/// <summary>The sandbox of a profile in <see cref="IsolationMode.Conversation"/> isolation (<c>specs/isolation.md</c>).</summary>
public sealed class SandboxOptions
{
    /// <summary>The bubblewrap executable: an absolute path or a name on PATH.</summary>
    /// <value>The default is <c>bwrap</c> (Debian package <c>bubblewrap</c>).</value>
    public string Command { get; set; } = "bwrap";

    /// <summary>Further host directories the agent may read (never write), at the same path inside: a toolchain or a
    /// configuration the CLI needs. The system directories, the directories on the child's PATH, the executable's install
    /// tree and <c>DOTNET_ROOT</c> are always readable; the service's data directory never is, even when listed here.</summary>
    public List<string> ReadOnlyPaths { get; set; } = [];
}
