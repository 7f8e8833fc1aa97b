namespace Workers.Benchmarks;

/// <summary>The machine's load average, printed before and after each run: the CI machine is shared, and a run beside
/// someone's build must say so.</summary>
internal static class MachineLoad
{
    public static string Now()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"load average {fields[0]}, {fields[1]}, {fields[2]} (1, 5, 15 min; {Environment.ProcessorCount} cores)";
        }
        catch (IOException)
        {
            return "load average unknown";
        }
    }
}
