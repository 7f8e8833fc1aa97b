using System.Globalization;

namespace Workers.Benchmarks;

/// <summary>CPU seconds from <c>/proc</c>, sampled at both ends of a window: a process's own, its children's (those it
/// reaped plus those alive, so an agent that retires inside the window still counts for the part it ran there), and
/// the whole machine's busy and total time (other engineers' builds show up there).</summary>
internal sealed record CpuTimes(double OwnSeconds, double ChildrenSeconds, double MachineBusySeconds, double MachineTotalSeconds)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the service supports.

    public static CpuTimes Of(int processId)
    {
        var stat = Stat(processId) ?? throw new InvalidOperationException($"process {processId} is gone");
        var live = Children(processId).Sum(child => Stat(child) is { } s ? s[13] + s[14] : 0);
        var machine = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = machine[3] + machine[4];
        // stat fields (0-based after the pid): 13 utime, 14 stime, 15 cutime, 16 cstime.
        return new CpuTimes((stat[13] + stat[14]) / TicksPerSecond, (stat[15] + stat[16] + live) / TicksPerSecond,
            (machine.Sum() - idle) / TicksPerSecond, machine.Sum() / TicksPerSecond);
    }

    public CpuTimes Minus(CpuTimes start) => new(OwnSeconds - start.OwnSeconds, ChildrenSeconds - start.ChildrenSeconds,
        MachineBusySeconds - start.MachineBusySeconds, MachineTotalSeconds - start.MachineTotalSeconds);

    /// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> after the command name (which may hold spaces), numbered as in
    /// proc(5) from the pid as 0.</summary>
    private static double[]? Stat(int processId)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{processId}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return [processId, 0, .. fields.Select(f => double.TryParse(f, CultureInfo.InvariantCulture, out var v) ? v : 0)];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static List<int> Children(int processId)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{processId}/task");
        }
        catch (IOException)
        {
            return [];
        }

        return tasks.SelectMany(task =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(pid => int.Parse(pid, CultureInfo.InvariantCulture)).ToList();
            }
            catch (IOException)
            {
                return [];
            }
        }).Distinct().ToList();
    }
}
