using Workers.Processes;

namespace Workers.Profiles;

/// <summary>The longest wait .NET can put on a timer or a <see cref="CancellationTokenSource"/> (<see cref="TimerDelay.Longest"/>,
/// about 49.7 days). Every configured timeout that becomes one is checked against it at start-up, so a long value fails the
/// start naming its setting; the runtime would survive it anyway (<see cref="TimerDelay"/> makes it no limit).</summary>
public static class TimerLimits
{
    public static TimeSpan Longest => TimerDelay.Longest;
}
