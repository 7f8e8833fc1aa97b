using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// The stdout faults that strike right before the first token: non-JSON lines (<c>garbage[:n]</c>), a truncated JSON line
/// (<c>half-json</c>), bytes that are not UTF-8 and a lone surrogate escape (<c>invalid-utf8</c>), one valid but very long
/// line (<c>oversized:&lt;bytes&gt;</c>) and a flood of small valid text deltas (<c>flood:&lt;n&gt;</c>).
/// </summary>
internal static class PreTokenFaults
{
    /// <summary>Stands for the text in a message serialized once and then patched: plain ASCII, so that JSON leaves it as is.</summary>
    private const string Marker = "@@sim-filler@@";

    /// <summary>A whole line that no decoder can read as UTF-8: a lead byte without its continuation, two continuation bytes
    /// without a lead, and two bytes UTF-8 never uses.</summary>
    private static readonly byte[] InvalidLine = [0xC3, 0x28, 0xA0, 0xA1, 0xFF, 0xFE];

    /// <summary>Text with an invalid sequence (0xC3 then an ASCII byte) and a byte UTF-8 never uses, inside a JSON string.</summary>
    private static readonly byte[] InvalidText = [(byte)'c', (byte)'a', (byte)'f', 0xC3, 0x28, (byte)' ', 0xFF, (byte)'!'];

    /// <summary>A high surrogate escaped alone: valid JSON, and what <c>JSON.stringify</c> writes for half of an emoji, but no
    /// Unicode text.</summary>
    private static readonly byte[] LoneSurrogate = @"\ud83d!"u8.ToArray();

    /// <param name="writer">Where the lines go.</param>
    /// <param name="faults">The faults in force for this turn.</param>
    /// <param name="harmless">Builds the mode's harmless message (one that does not change the reply) around a text.</param>
    /// <param name="textDelta">Builds the mode's message of one piece of reply text; null where the reply is bare text
    /// (plain).</param>
    public static void Emit(ProtocolWriter writer, FaultPlan faults, Func<string, JsonNode> harmless, Func<string, JsonNode>? textDelta)
    {
        if (faults.GarbageLines > 0)
        {
            writer.WriteRepeated("this is not json"u8, faults.GarbageLines);
        }

        if (faults.Has(FaultKind.HalfJson))
        {
            writer.WriteRawLine("{\"type\":\"assistant\",\"mess");
        }

        if (faults.Has(FaultKind.InvalidUtf8))
        {
            writer.WriteBytesLine(InvalidLine);
            if (textDelta is null)
            {
                writer.WriteBytesLine(InvalidText);
            }
            else
            {
                writer.WriteLineReplaced(textDelta(Marker), Marker, InvalidText);
                writer.WriteLineReplaced(textDelta(Marker), Marker, LoneSurrogate);
            }
        }

        if (faults.OversizedBytes is { } bytes)
        {
            // Measure the message with no filler first, then stream the filler so the whole line comes out at the asked size.
            var padding = Math.Max(0, bytes - ProtocolWriter.MeasureLine(harmless(string.Empty)));
            writer.WriteLineFilled(harmless(Marker), Marker, (byte)'x', padding);
        }

        MemoryBallast.Grow(faults.GrowMebibytes);
        if (faults.FloodLines > 0)
        {
            writer.WriteRepeated(textDelta is null ? "x"u8 : ProtocolWriter.Serialized(textDelta("x")), faults.FloodLines);
        }
    }
}
