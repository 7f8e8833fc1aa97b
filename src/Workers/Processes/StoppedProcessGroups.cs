using System.Diagnostics;

namespace Workers.Processes;

/// <summary>The process groups that have a stopped member (SIGSTOP, or a tracer), from one pass over <c>/proc</c>. The
/// pass reads every process's stat once, whatever the number of groups asked about; a caller says how old a pass may be,
/// and a pass young enough is reused, so the pools' sweeps and the running turns' watches of one interval share one pass
/// instead of making one each. The age is on the real clock: it is about the real <c>/proc</c>, not a test's fake time.</summary>
public static class StoppedProcessGroups
{
    private static readonly Lock Gate = new();
    private static HashSet<int> _stopped = [];
    private static long _takenAt;
    private static bool _taken;

    /// <summary>True when a process of group <paramref name="groupId"/> is stopped, by a pass over <c>/proc</c> made at most
    /// <paramref name="maxAge"/> ago (zero: a new pass).</summary>
    public static bool Contains(int groupId, TimeSpan maxAge)
    {
        lock (Gate)
        {
            if (!_taken || Stopwatch.GetElapsedTime(_takenAt) > maxAge || maxAge <= TimeSpan.Zero)
            {
                // Stamped before the pass: the snapshot is at least as old as its first read.
                _takenAt = Stopwatch.GetTimestamp();
                _stopped = [.. ProcessTable.Read().Where(p => p.IsStopped).Select(p => p.GroupId)];
                _taken = true;
            }

            return _stopped.Contains(groupId);
        }
    }
}
