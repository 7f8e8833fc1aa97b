namespace Workers.Profiles;

/// <summary>The longest wait .NET can put on a timer or a <see cref="CancellationTokenSource"/> (4 294 967 294 ms, about
/// 49.7 days; longer throws <see cref="ArgumentOutOfRangeException"/>). Every configured timeout that becomes one is
/// checked against it at start-up, so a long value fails the start naming its setting instead of every turn that uses it.</summary>
public static class TimerLimits
{
    public static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
}
