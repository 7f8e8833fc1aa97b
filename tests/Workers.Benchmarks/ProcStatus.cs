using System.Globalization;

namespace Workers.Benchmarks;

/// <summary>What <c>/proc/&lt;pid&gt;/status</c> says of one process's memory (its own, children excluded): resident now
/// (<c>VmRSS</c>) and at its peak (<c>VmHWM</c>), and what is resident now by kind, in MiB: anonymous (heaps, stacks), file
/// pages (the mapped assemblies and native libraries, mostly shared with other .NET processes) and shared memory (the JIT's
/// code, double-mapped for W^X).</summary>
internal sealed record ProcStatus(double RssMiB, double PeakRssMiB, double AnonMiB, double FileMiB, double ShmemMiB)
{
    public static ProcStatus? Of(int processId)
    {
        try
        {
            var lines = File.ReadAllLines($"/proc/{processId}/status");
            return new ProcStatus(KiBField(lines, "VmRSS:") / 1024.0, KiBField(lines, "VmHWM:") / 1024.0,
                KiBField(lines, "RssAnon:") / 1024.0, KiBField(lines, "RssFile:") / 1024.0, KiBField(lines, "RssShmem:") / 1024.0);
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
