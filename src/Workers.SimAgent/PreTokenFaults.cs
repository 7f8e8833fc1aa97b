using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// The stdout faults that strike right before the first token: a non-JSON line (<c>garbage</c>), a truncated JSON line
/// (<c>half-json</c>) and one valid but very long line (<c>oversized:&lt;bytes&gt;</c>).
/// </summary>
internal static class PreTokenFaults
{
    /// <param name="writer">Where the lines go.</param>
    /// <param name="faults">The faults in force for this turn.</param>
    /// <param name="oversized">Builds the mode's harmless message (one that does not change the reply) around a filler text.</param>
    public static void Emit(ProtocolWriter writer, FaultPlan faults, Func<string, JsonNode> oversized)
    {
        if (faults.Has(FaultKind.Garbage))
        {
            writer.WriteRawLine("this is not json");
        }

        if (faults.Has(FaultKind.HalfJson))
        {
            writer.WriteRawLine("{\"type\":\"assistant\",\"mess");
        }

        if (faults.OversizedBytes is { } bytes)
        {
            // Measure the message with no filler first, then pad the filler so the whole line comes out at the asked size.
            var padding = Math.Max(0, bytes - ProtocolWriter.MeasureLine(oversized(string.Empty)));
            writer.WriteLine(oversized(new string('x', padding)));
        }
    }
}
