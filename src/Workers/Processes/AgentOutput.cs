using System.Buffers;

namespace Workers.Processes;

/// <summary>One unit of an agent's stdout. A line is kept as the UTF-8 bytes the agent wrote: most lines are JSON, parsed
/// from those bytes, so decoding them to text first would only be undone. A line cut from stdout sits in a buffer rented
/// from <see cref="ArrayPool{T}.Shared"/>, which whoever takes it last gives back (<see cref="ReturnBuffer"/>).</summary>
public readonly struct AgentOutput
{
    private readonly byte[]? _rented;

    private AgentOutput(AgentOutputKind kind, string text, ReadOnlyMemory<byte> utf8, byte[]? rented, long bytes)
    {
        Kind = kind;
        Text = text;
        Utf8 = utf8;
        _rented = rented;
        Bytes = bytes;
    }

    /// <summary>What this unit is.</summary>
    public AgentOutputKind Kind { get; }

    /// <summary>The chunk (chunk framing); empty for a line.</summary>
    public string Text { get; }

    /// <summary>The line as the agent wrote it, without its newline (and a carriage return before it); empty for a chunk or
    /// an oversized line.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>The unit's size in bytes as written by the agent.</summary>
    public long Bytes { get; }

    /// <summary>A line in <paramref name="utf8"/>, which the caller owns and keeps unchanged while the line is used.</summary>
    public static AgentOutput Line(ReadOnlyMemory<byte> utf8, long bytes) => new(AgentOutputKind.Line, "", utf8, null, bytes);

    /// <summary>A line copied from <paramref name="utf8"/> into a rented buffer, so that the caller's buffer can take the
    /// next one; the taker gives the copy back (<see cref="ReturnBuffer"/>).</summary>
    public static AgentOutput RentedLine(ReadOnlySpan<byte> utf8, long bytes)
    {
        var rented = ArrayPool<byte>.Shared.Rent(utf8.Length);
        utf8.CopyTo(rented);
        return new AgentOutput(AgentOutputKind.Line, "", rented.AsMemory(0, utf8.Length), rented, bytes);
    }

    public static AgentOutput Chunk(string text, long bytes) => new(AgentOutputKind.Chunk, text, default, null, bytes);

    public static AgentOutput Oversized(long bytes) => new(AgentOutputKind.OversizedLine, "", default, null, bytes);

    /// <summary>Gives a rented line's buffer back to the pool (nothing for any other unit). Called once, by the last user:
    /// the line's bytes are not read after it.</summary>
    public void ReturnBuffer()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}

public enum AgentOutputKind
{
    Line,
    Chunk,

    /// <summary>A line longer than the profile's cap; its bytes were dropped, not buffered.</summary>
    OversizedLine,
}
