namespace Workers.Processes;

/// <summary>How an agent process ended.</summary>
/// <param name="ExitCode">The exit code; 128 + n when killed by signal n.</param>
/// <param name="Timestamp">Monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) of the exit.</param>
public sealed record AgentExit(int ExitCode, long Timestamp)
{
    /// <summary>The signal that killed the process, if it died of one.</summary>
    public int? Signal => ExitCode > 128 && ExitCode < 160 ? ExitCode - 128 : null;

    /// <summary>How it ended, for messages: " with code 3", " (killed by signal 9)"; empty when the exit is not known.</summary>
    public static string Describe(AgentExit? exit) => exit switch
    {
        null => "",
        { Signal: { } signal } => $" (killed by signal {signal})",
        _ => $" with code {exit.ExitCode}",
    };
}
