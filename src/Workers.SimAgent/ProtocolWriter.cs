using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// The only writer of stdout. Each call writes one whole line and flushes it under a lock, so lines from concurrent turns,
/// notifications and control messages never interleave, and a host sees every line as soon as it is complete.
/// </summary>
internal sealed class ProtocolWriter(Stream stdout)
{
    // The real CLIs are Node and Rust programs whose JSON encoders leave non-ASCII text (e.g. "·") unescaped; match them.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The most a flood or a long line puts in one write.</summary>
    private const int BlockBytes = 64 * 1024;

    private readonly Lock _lock = new();

    public static ProtocolWriter ForStdout() => new(Console.OpenStandardOutput());

    /// <summary>Writes a JSON object as one line.</summary>
    public void WriteLine(JsonNode message)
    {
        var buffer = Serialize(message);
        buffer.Write("\n"u8);
        Write(buffer.WrittenSpan);
    }

    /// <summary>Writes text that is deliberately not (valid) JSON, for the garbage and half-json faults.</summary>
    public void WriteRawLine(string text) => WriteRaw(text + "\n");

    /// <summary>Writes text without adding a newline (plain mode streams its tokens this way).</summary>
    public void WriteRaw(string text) => Write(Encoding.UTF8.GetBytes(text));

    /// <summary>Writes bytes that need not be valid UTF-8 as one line (the <c>invalid-utf8</c> fault).</summary>
    public void WriteBytesLine(ReadOnlySpan<byte> bytes)
    {
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line);
        line[^1] = (byte)'\n';
        Write(line);
    }

    /// <summary>Writes <paramref name="message"/> as one line in which the string <paramref name="marker"/> is replaced by
    /// <paramref name="count"/> copies of the ASCII byte <paramref name="filler"/>, streamed in blocks: a line of any size costs
    /// the simulator a block of memory, not the line (the <c>oversized</c> fault of 100 MB and more).</summary>
    public void WriteLineFilled(JsonNode message, string marker, byte filler, long count)
    {
        var (prefix, suffix) = SplitAt(message, marker);
        var block = new byte[Math.Min(count, BlockBytes)];
        Array.Fill(block, filler);
        lock (_lock)
        {
            try
            {
                stdout.Write(prefix);
                for (var left = count; left > 0; left -= block.Length)
                {
                    stdout.Write(block, 0, (int)Math.Min(left, block.Length));
                }

                stdout.Write(suffix);
                stdout.Write("\n"u8);
                stdout.Flush();
            }
            catch (IOException)
            {
                Closed();
            }
        }
    }

    /// <summary>Writes <paramref name="message"/> as one line in which the string <paramref name="marker"/> is replaced by the
    /// raw bytes <paramref name="replacement"/> (which need not be valid UTF-8, or may be JSON escapes of the agent's own).</summary>
    public void WriteLineReplaced(JsonNode message, string marker, ReadOnlySpan<byte> replacement)
    {
        var (prefix, suffix) = SplitAt(message, marker);
        WriteBytesLine([.. prefix, .. replacement, .. suffix]);
    }

    /// <summary>Writes the line <paramref name="line"/> (newline excluded) <paramref name="count"/> times, many lines per
    /// write, as fast as the pipe takes them: a flood.</summary>
    public void WriteRepeated(ReadOnlySpan<byte> line, int count)
    {
        var size = line.Length + 1;
        var perBlock = Math.Max(1, BlockBytes / size);
        var block = new byte[perBlock * size];
        for (var i = 0; i < perBlock; i++)
        {
            line.CopyTo(block.AsSpan(i * size));
            block[((i + 1) * size) - 1] = (byte)'\n';
        }

        lock (_lock)
        {
            try
            {
                for (var left = count; left > 0; left -= perBlock)
                {
                    stdout.Write(block, 0, Math.Min(left, perBlock) * size);
                }

                stdout.Flush();
            }
            catch (IOException)
            {
                Closed();
            }
        }
    }

    /// <summary>The serialized line of <paramref name="message"/> (newline excluded).</summary>
    public static byte[] Serialized(JsonNode message) => Serialize(message).WrittenSpan.ToArray();

    /// <summary>The size <paramref name="message"/> takes on the wire, newline included.</summary>
    public static int MeasureLine(JsonNode message) => Serialize(message).WrittenCount + 1;

    private static ArrayBufferWriter<byte> Serialize(JsonNode message)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using var json = new Utf8JsonWriter(buffer, JsonOptions);
        message.WriteTo(json);
        json.Flush();
        return buffer;
    }

    private static (byte[] Prefix, byte[] Suffix) SplitAt(JsonNode message, string marker)
    {
        var line = Serialize(message).WrittenSpan;
        var at = line.IndexOf(Encoding.UTF8.GetBytes(marker));
        if (at < 0)
        {
            throw new ArgumentException($"'{marker}' does not occur in the message.", nameof(marker));
        }

        return (line[..at].ToArray(), line[(at + Encoding.UTF8.GetByteCount(marker))..].ToArray());
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            try
            {
                stdout.Write(bytes);
                stdout.Flush();
            }
            catch (IOException)
            {
                Closed();
            }
        }
    }

    /// <summary>The host closed our stdout. Like a Node CLI on EPIPE there is nobody left to talk to, so stop at once.</summary>
    private static void Closed()
    {
        Diagnostics.Note("stdout is closed; exiting");
        Environment.Exit(1);
    }
}
