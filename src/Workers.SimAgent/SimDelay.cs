namespace Workers.SimAgent;

/// <summary>The simulated work of the latency model, on <see cref="TimeProvider.System"/>.</summary>
internal static class SimDelay
{
    /// <summary>Waits <paramref name="milliseconds"/>; zero costs nothing, not even a timer, so the default latencies stay exact.</summary>
    public static Task MsAsync(double milliseconds, CancellationToken cancellationToken)
    {
        if (milliseconds <= 0)
        {
            return cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;
        }

        return Task.Delay(TimeSpan.FromMilliseconds(milliseconds), TimeProvider.System, cancellationToken);
    }

    /// <summary>Never completes; the process then lives until it is killed (or stdin EOF ends it, where the mode does that).</summary>
    public static Task ForeverAsync() => Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, CancellationToken.None);
}
