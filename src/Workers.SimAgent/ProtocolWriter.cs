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
                // The host closed our stdout. Like a Node CLI on EPIPE there is nobody left to talk to, so stop at once.
                Diagnostics.Note("stdout is closed; exiting");
                Environment.Exit(1);
            }
        }
    }
}
