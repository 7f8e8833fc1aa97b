using System.Text;

namespace Workers.SimAgent;

/// <summary>
/// What a turn writes to stderr when its model request starts: the <c>stderr-note:&lt;word&gt;</c> line (so a host's
/// failure records can be checked for whose stderr they carry), then the <c>stderr-flood:&lt;bytes&gt;</c> fault: a chatty
/// CLI. A host that does not drain stderr fills the pipe and the write blocks, which stalls the turn exactly as it would
/// stall a real CLI.
/// </summary>
internal static class TurnStderr
{
    private static readonly byte[] Line = Encoding.ASCII.GetBytes("sim-agent: stderr flood " + new string('.', 55) + "\n");

    public static void Write(FaultPlan faults)
    {
        if (faults.StderrNote is { } note)
        {
            Diagnostics.Note($"note {note}");
        }

        if (faults.StderrFloodBytes is not { } total || total == 0)
        {
            return;
        }

        Console.Error.Flush();
        using var stderr = Console.OpenStandardError();
        for (var written = 0; written < total; written += Line.Length)
        {
            stderr.Write(Line, 0, Math.Min(Line.Length, total - written));
        }

        stderr.Flush();
    }
}
