using System.Runtime.InteropServices;

namespace Workers.Chaos;

/// <summary>kill(2) and what <c>/proc</c> says of a process: its state and its start time, which tells a live process from
/// a later one that got the same pid.</summary>
internal static partial class Signals
{
    public const int Kill = 9;
    public const int Stop = 19;
    public const int Continue = 18;
    public const int Terminate = 15;

    public static bool Send(int pid, int signal) => SendSignal(pid, signal) == 0;

    /// <summary>The process's start time in clock ticks since boot (field 22 of <c>/proc/&lt;pid&gt;/stat</c>) and its state
    /// letter; null when there is no such process.</summary>
    public static (long StartTime, char State)? Stat(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: the fields after it start past the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture), fields[0][0]);
    }

    /// <summary>True while the process that had <paramref name="startTime"/> runs (or is stopped): not reaped, not a zombie.</summary>
    public static bool IsAlive(int pid, long startTime) =>
        Stat(pid) is { } stat && stat.StartTime == startTime && stat.State is not ('Z' or 'X');

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
