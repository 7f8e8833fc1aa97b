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
        foreach (var member in ProcessTable.Read())
        {
            if (member.GroupId == groupId && !IsBubblewrap(member.ProcessId))
            {
                sent |= ProcessGroup.SignalProcess(member.ProcessId, signal);
            }
        }

        return sent || ProcessGroup.Signal(groupId, signal);
    }

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
