using System.Globalization;

namespace Workers.Benchmarks;

/// <summary>What <c>/proc/&lt;pid&gt;/status</c> says of one process's memory (its own, children excluded): resident now
/// (<c>VmRSS</c>) and at its peak (<c>VmHWM</c>), in MiB.</summary>
internal sealed record ProcStatus(double RssMiB, double PeakRssMiB)
{
    public static ProcStatus? Of(int processId)
    {
        try
        {
            var lines = File.ReadAllLines($"/proc/{processId}/status");
            return new ProcStatus(KiBField(lines, "VmRSS:") / 1024.0, KiBField(lines, "VmHWM:") / 1024.0);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long KiBField(string[] lines, string name)
    {
        var line = lines.First(l => l.StartsWith(name, StringComparison.Ordinal));
        return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
