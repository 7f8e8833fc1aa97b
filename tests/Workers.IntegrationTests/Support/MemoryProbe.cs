using System.Globalization;
using System.Text.RegularExpressions;

namespace Workers.IntegrationTests.Support;

/// <summary>What this test process (where the service's code runs, the agents being children) allocates and holds while an
/// agent misbehaves: managed allocation (<see cref="GC.GetTotalAllocatedBytes"/>, precise) and the growth of the peak resident
/// set (<c>VmHWM</c>, reset through <c>/proc/self/clear_refs</c> when the probe starts). Sizes, never times. Meaningful only
/// when nothing else runs in the process meanwhile (<see cref="HostileVolumeCollection"/>).</summary>
public sealed partial class MemoryProbe
{
    private readonly long _allocatedAtStart;
    private readonly long _residentAtStart;

    private MemoryProbe()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // "5" resets the peak resident set to the current one (proc(5), /proc/pid/clear_refs).
        File.WriteAllText("/proc/self/clear_refs", "5");
        _residentAtStart = StatusKilobytes("VmRSS") * 1024;
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
    }

    public static MemoryProbe Start() => new();

    /// <summary>Managed bytes allocated since the start, by every thread.</summary>
    public long AllocatedBytes => GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart;

    /// <summary>How far the resident set rose above its size at the start, at its highest.</summary>
    public long PeakResidentGrowthBytes => (StatusKilobytes("VmHWM") * 1024) - _residentAtStart;

    /// <summary>Both, in MiB, for the test's output.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture,
            $"allocated {AllocatedBytes / 1048576.0:0.0} MiB, peak RSS growth {PeakResidentGrowthBytes / 1048576.0:0.0} MiB");

    private static long StatusKilobytes(string field)
    {
        var match = StatusLine().Matches(File.ReadAllText("/proc/self/status")).First(m => m.Groups["field"].Value == field);
        return long.Parse(match.Groups["kb"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^(?<field>\w+):\s+(?<kb>\d+) kB$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();
}
