namespace Workers.Processes;

/// <summary>Everything needed to start one agent process.</summary>
/// <param name="FileName">The resolved executable.</param>
/// <param name="Arguments">The full argument list.</param>
/// <param name="WorkingDirectory">The process's working directory.</param>
/// <param name="Environment">The child's whole environment: nothing else is inherited from the service.</param>
/// <param name="Framing">How stdout is cut into units for the driver.</param>
/// <param name="MaxLineBytes">The longest stdout line accepted.</param>
/// <param name="Sandboxed">Run under bubblewrap (<c>Isolation/SandboxCommand.cs</c>): a graceful stop signals the agent, not the
/// bwrap processes, which would otherwise take the agent down with SIGKILL before it could flush.</param>
public sealed record LaunchSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    OutputFraming Framing,
    int MaxLineBytes,
    bool Sandboxed = false);

/// <summary>How a process's stdout is delivered.</summary>
public enum OutputFraming
{
    /// <summary>Newline-delimited records (JSON lines).</summary>
    Lines,

    /// <summary>Raw text as it arrives (plain CLIs stream tokens without newlines).</summary>
    Chunks,
}
