using System.Diagnostics;

namespace Workers.SimAgent;

/// <summary>The simulated work of the latency model. A timer alone overshoots by a millisecond or more, which would
/// blur what the benchmarks measure on our side; so the timer covers all but the last stretch and a yielding spin
/// finishes on time (the spin costs at most that stretch of CPU per delay).</summary>
internal static class SimDelay
{
    private static readonly TimeSpan SpinStretch = TimeSpan.FromMilliseconds(2);

    /// <summary>Waits <paramref name="milliseconds"/>; zero costs nothing, not even a timer, so the default latencies stay exact.</summary>
    public static async Task MsAsync(double milliseconds, CancellationToken cancellationToken)
    {
        if (milliseconds <= 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var total = TimeSpan.FromMilliseconds(milliseconds);
        if (total > SpinStretch)
        {
            await Task.Delay(total - SpinStretch, TimeProvider.System, cancellationToken);
        }

        while (Stopwatch.GetElapsedTime(started) < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Thread.Yield();
        }
    }

    /// <summary>Never completes; the process then lives until it is killed (or stdin EOF ends it, where the mode does that).</summary>
    public static Task ForeverAsync() => Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, CancellationToken.None);
}
