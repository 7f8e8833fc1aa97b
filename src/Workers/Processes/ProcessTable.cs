using System.IO.Enumeration;

namespace Workers.Processes;

/// <summary>One process as <c>/proc/&lt;pid&gt;/stat</c> shows it: its state letter (R, S, D, T, t, Z, X…) and its
/// process group.</summary>
public readonly record struct ProcessStat(int ProcessId, char State, int GroupId)
{
    /// <summary>Stopped by a signal (T: SIGSTOP, SIGTSTP) or by a tracer (t): it runs no further until continued.</summary>
    public bool IsStopped => State is 'T' or 't';
}

/// <summary>Every process of the machine (of the service's pid namespace, in a container), read from <c>/proc</c>: one
/// small read of <c>/proc/&lt;pid&gt;/stat</c> per process, nothing else.</summary>
public static class ProcessTable
{
    // pid, (comm) — at most 15 bytes, but it may hold spaces and parentheses — state, ppid, pgrp: all in the first bytes.
    private const int PrefixBytes = 256;

    /// <summary>The processes alive now; one that ends while it is read is left out.</summary>
    public static IEnumerable<ProcessStat> Read()
    {
        var buffer = new byte[PrefixBytes];
        foreach (var processId in ProcessIds())
        {
            if (TryRead(processId, buffer) is { } stat)
            {
                yield return stat;
            }
        }
    }

    /// <summary>One process's stat now; null when it is gone.</summary>
    public static ProcessStat? TryRead(int processId) => TryRead(processId, new byte[PrefixBytes]);

    private static ProcessStat? TryRead(int processId, byte[] buffer)
    {
        int length;
        try
        {
            using var handle = File.OpenHandle($"/proc/{processId}/stat");
            length = RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(processId, buffer.AsSpan(0, length));
    }

    /// <summary>Reads state (field 3) and pgrp (field 5) of a stat line.</summary>
    internal static ProcessStat? Parse(int processId, ReadOnlySpan<byte> stat)
    {
        // The command name may contain spaces and ')': the fields after it start after the last ')'.
        var close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 4 >= stat.Length)
        {
            return null;
        }

        var state = (char)stat[close + 2];
        var afterState = stat[(close + 4)..];
        var parentEnd = afterState.IndexOf((byte)' ');
        if (parentEnd < 0)
        {
            return null;
        }

        var group = afterState[(parentEnd + 1)..];
        var groupEnd = group.IndexOf((byte)' ');
        return groupEnd > 0 && int.TryParse(group[..groupEnd], out var groupId) ? new ProcessStat(processId, state, groupId) : null;
    }

    private static FileSystemEnumerable<int> ProcessIds() =>
        new("/proc", (ref entry) => int.Parse(entry.FileName), new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref entry) => entry.IsDirectory && IsDigits(entry.FileName),
        };

    private static bool IsDigits(ReadOnlySpan<char> name)
    {
        foreach (var c in name)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return name.Length > 0;
    }
}
