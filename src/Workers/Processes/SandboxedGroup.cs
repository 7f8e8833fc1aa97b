namespace Workers.Processes;

/// <summary>Signals to the agent of a sandboxed process group, not to its bubblewrap processes. A SIGTERM to the whole group
/// ends the outer bwrap at once, and its <c>--die-with-parent</c> then SIGKILLs the agent before the agent's own handler
/// has written its session out; sent to the agent alone, the agent ends in its own time and bwrap follows it.</summary>
internal static class SandboxedGroup
{
    /// <summary>Sends <paramref name="signal"/> to every process of the group except bwrap's; to the whole group when no other
    /// is left. False when the group is gone.</summary>
    public static bool SignalAgent(int groupId, int signal)
    {
        var sent = false;
        foreach (var member in Members(groupId).Where(member => !IsBubblewrap(member)))
        {
            sent |= ProcessGroup.SignalProcess(member, signal);
        }

        return sent || ProcessGroup.Signal(groupId, signal);
    }

    /// <summary>True when a process of the group holds a file open under <paramref name="agentDirectory"/> (a path as the agent
    /// sees it: <c>/proc/&lt;pid&gt;/fd</c> links show paths inside the sandbox). A directory renamed away under such a process
    /// would keep being the one it reads and writes.</summary>
    public static bool HoldsOpenUnder(int groupId, string agentDirectory)
    {
        var prefix = agentDirectory.TrimEnd('/') + "/";
        foreach (var member in Members(groupId))
        {
            try
            {
                foreach (var descriptor in Directory.EnumerateFileSystemEntries($"/proc/{member}/fd"))
                {
                    if (new FileInfo(descriptor).LinkTarget is { } target && target.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile: holds nothing.
            }
        }

        return false;
    }

    private static IEnumerable<int> Members(int groupId) =>
        ProcessTable.Read().Where(process => process.GroupId == groupId).Select(process => process.ProcessId);

    private static bool IsBubblewrap(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/comm").TrimEnd('\n') == "bwrap";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
