namespace Workers.Processes;

/// <summary>What <c>/proc</c> says about a process: a pooled process that was SIGSTOPped (state <c>T</c>) or
/// died while idle must not be leased.</summary>
public static class ProcessLiveness
{
    /// <summary>The state letter of <c>/proc/&lt;pid&gt;/stat</c> (R, S, D, T, t, Z, X…), or null when the process is gone.</summary>
    public static char? State(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            // The command name is in parentheses and may contain spaces: the state follows the last ')'.
            var end = stat.LastIndexOf(')');
            return end > 0 && end + 2 < stat.Length ? stat[end + 2] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The process start time in clock ticks since boot (field 22 of stat): with the pid, its identity.</summary>
    public static long? StartTicks(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.TryParse(fields[19], out var ticks) ? ticks : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>True when the process can run: it exists and is neither stopped, traced, a zombie nor dead.</summary>
    public static bool IsRunnable(int processId) => State(processId) is { } state && state is not ('T' or 't' or 'Z' or 'X');
}
