namespace Workers.Processes;

/// <summary>Delays for the timers and cancellation sources built from a setting (<c>Timeouts:*</c>, <c>Pool:*Timeout</c>) or
/// a producer's deadline. .NET timers take at most 2³² − 2 ms (about 49.7 days) and throw beyond, so a far deadline used
/// to fail its turn <c>unclassified</c> (issue 12). A longer delay means no limit within this process's life: it is
/// made infinite, not cut to the maximum, so a limit never fires earlier than asked (a turn that runs 49 days is stopped
/// by its other limits long before). A delay already past is zero: the source is cancelled at once.</summary>
public static class TimerDelay
{
    /// <summary>The longest delay a .NET timer accepts (<c>Timer.MaxSupportedTimeout</c>).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>A delay any timer accepts: infinite beyond <see cref="Longest"/>, zero when already past.</summary>
    public static TimeSpan Clamp(TimeSpan delay) =>
        delay == Timeout.InfiniteTimeSpan ? delay
        : delay > Longest ? Timeout.InfiniteTimeSpan
        : delay < TimeSpan.Zero ? TimeSpan.Zero
        : delay;

    /// <summary>A source cancelled after <paramref name="delay"/> (<see cref="Clamp"/>ed) on <paramref name="timeProvider"/>'s
    /// clock.</summary>
    public static CancellationTokenSource CancelAfter(TimeSpan delay, TimeProvider timeProvider) => new(Clamp(delay), timeProvider);
}
