namespace Workers.Processes;

/// <summary>One unit of an agent's stdout.</summary>
/// <param name="Kind">What this unit is.</param>
/// <param name="Text">The line (without its newline) or chunk; empty for an oversized line.</param>
/// <param name="Bytes">The unit's size in bytes as written by the agent.</param>
public readonly record struct AgentOutput(AgentOutputKind Kind, string Text, long Bytes)
{
    public static AgentOutput Line(string text, long bytes) => new(AgentOutputKind.Line, text, bytes);

    public static AgentOutput Chunk(string text, long bytes) => new(AgentOutputKind.Chunk, text, bytes);

    public static AgentOutput Oversized(long bytes) => new(AgentOutputKind.OversizedLine, "", bytes);
}

public enum AgentOutputKind
{
    Line,
    Chunk,

    /// <summary>A line longer than the profile's cap; its bytes were dropped, not buffered.</summary>
    OversizedLine,
}
