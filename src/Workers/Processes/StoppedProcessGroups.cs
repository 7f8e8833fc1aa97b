using System.Diagnostics;

namespace Workers.Processes;

/// <summary>The process groups that have a stopped member (SIGSTOP, or a tracer), from one pass over <c>/proc</c>. The
/// pass reads every process's stat once, whatever the number of groups asked about; a caller says how old a pass may be,
/// and a pass young enough is reused, so the pools' sweeps and the running turns' watches of one interval share one pass
/// instead of making one each. The age is on the real clock: it is about the real <c>/proc</c>, not a test's fake time.</summary>
public static class StoppedProcessGroups
{
    /// <summary>How old the pass whose group members <see cref="HasStoppedFollower"/> reads again may be. The pools' sweeps
    /// make a pass every <c>StoppedCheckInterval</c> (250 ms), so a lease normally reuses theirs and reads only its own
    /// group's few processes; without sweeps (a pool on a fake clock) a lease makes a pass at most this often.</summary>
    public static readonly TimeSpan MembersMaxAge = TimeSpan.FromSeconds(1);

    private static readonly Lock Gate = new();
    private static HashSet<int> _stopped = [];
    private static Dictionary<int, int[]> _members = [];
    private static long _takenAt;
    private static bool _taken;

    /// <summary>True when a process of group <paramref name="groupId"/> is stopped, by a pass over <c>/proc</c> made at most
    /// <paramref name="maxAge"/> ago (zero: a new pass).</summary>
    public static bool Contains(int groupId, TimeSpan maxAge)
    {
        lock (Gate)
        {
            if (maxAge <= TimeSpan.Zero || IsPassOlderThan_NeedsGate(maxAge))
            {
                TakePass_NeedsGate();
            }

            return _stopped.Contains(groupId);
        }
    }

    /// <summary>True when a process of group <paramref name="groupId"/> other than its leader is stopped now: each such
    /// member that a pass at most <see cref="MembersMaxAge"/> old found in the group is read again now (for an agent, its
    /// child or two), instead of a new pass over every process of the machine on every lease. The leader is left to the
    /// caller, which reads its state anyway (<see cref="ProcessLiveness.IsRunnable"/>). A group the pass does not know (an
    /// agent started since) makes a new pass. A process that joined a known group after that pass is not looked at here;
    /// the sweep and the running turn's watch see it within their interval.</summary>
    public static bool HasStoppedFollower(int groupId)
    {
        int[]? members;
        lock (Gate)
        {
            // A group the pass does not know started after it (the caller has just read its leader): a new pass, or a
            // freshly started agent's children would go unread until the next one.
            if (IsPassOlderThan_NeedsGate(MembersMaxAge) || !_members.ContainsKey(groupId))
            {
                TakePass_NeedsGate();
            }

            _members.TryGetValue(groupId, out members);
        }

        foreach (var member in (members ?? []).Where(m => m != groupId))
        {
            // Still of the group: a pid reused since the pass by another process is not this agent's.
            if (ProcessTable.TryRead(member) is { IsStopped: true } stat && stat.GroupId == groupId)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPassOlderThan_NeedsGate(TimeSpan maxAge) => !_taken || Stopwatch.GetElapsedTime(_takenAt) > maxAge;

    private static void TakePass_NeedsGate()
    {
        // Stamped before the pass: the snapshot is at least as old as its first read.
        _takenAt = Stopwatch.GetTimestamp();
        var processes = ProcessTable.Read().ToList();
        _stopped = [.. processes.Where(p => p.IsStopped).Select(p => p.GroupId)];
        _members = processes.GroupBy(p => p.GroupId).ToDictionary(g => g.Key, g => g.Select(p => p.ProcessId).ToArray());
        _taken = true;
    }
}
