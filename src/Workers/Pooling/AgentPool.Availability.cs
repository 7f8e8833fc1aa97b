using Workers.Processes;

namespace Workers.Pooling;

/// <summary>Whether the pool can serve anything (<c>specs/pool.md</c>, "Availability"): what <c>/v1/pools</c>, the pool's
/// health check, the <c>workers_pool_available</c> gauge and the enqueue's 503 say. Unavailable is one of two precise
/// states: every start failing with nothing left that serves, or every capacity slot held past any limit.</summary>
public sealed partial class AgentPool
{
    /// <summary>Failed starts in a row after which a pool with no serving process is unavailable.</summary>
    public const int UnavailableAfterFailedStarts = 3;

    /// <summary>Added to the longest a turn (or a start) may hold a process, before its slot counts as stuck: the kill of a
    /// cancelled turn and the reap of its process fit well within it.</summary>
    public static readonly TimeSpan StuckMargin = TimeSpan.FromMinutes(1);

    private int _startsFailedInARow;
    private string? _lastStartFailure;

    /// <summary>The pool's availability now.</summary>
    public PoolAvailability Availability()
    {
        var timeouts = Profile.Options.Timeouts;
        var leaseLimit = SaturatingSum(timeouts.Ready, timeouts.Turn, timeouts.Cancel, StuckMargin);
        var startLimit = SaturatingSum(Options.StartTimeout, StuckMargin);
        lock (_lock)
        {
            var serving = _processes.Count(p => p.State is PoolProcessState.Ready or PoolProcessState.Leased or PoolProcessState.Bound);
            if (serving == 0 && _startsFailedInARow >= UnavailableAfterFailedStarts)
            {
                return PoolAvailability.Unavailable(PoolAvailability.StartsFailing,
                    $"The last {_startsFailedInARow} starts of the agent failed and no process can serve; the last: {_lastStartFailure}");
            }

            var stuck = _processes.Count(p =>
                p.State == PoolProcessState.Leased && _timeProvider.GetElapsedTime(p.StateSince) > leaseLimit
                || p.State == PoolProcessState.Starting && _timeProvider.GetElapsedTime(p.StateSince) > startLimit);
            if (stuck >= Options.MaxProcesses)
            {
                return PoolAvailability.Unavailable(PoolAvailability.CapacityStuck,
                    $"All {Options.MaxProcesses} processes (Pool:MaxProcesses) are held past any turn's limits "
                    + $"(leased over {leaseLimit}, or starting over {startLimit}).");
            }
        }

        return PoolAvailability.Available;
    }

    private void StartFailed_NeedsLock(string reason, Exception failure)
    {
        _startsFailedInARow++;
        _lastStartFailure = failure is SpawnFailedException spawn
            ? $"{reason}: {spawn.Errno}: {spawn.Message}"
            : $"{reason}: {failure.Message}";
    }

    /// <summary>A process became ready, or served a turn: the agent can start.</summary>
    private void StartSucceeded_NeedsLock() => _startsFailedInARow = 0;

    private static TimeSpan SaturatingSum(params ReadOnlySpan<TimeSpan> parts)
    {
        var ticks = 0L;
        foreach (var part in parts)
        {
            ticks = ticks > long.MaxValue - part.Ticks ? long.MaxValue : ticks + part.Ticks;
        }

        return TimeSpan.FromTicks(ticks);
    }
}
