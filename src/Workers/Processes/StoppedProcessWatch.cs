namespace Workers.Processes;

/// <summary>Watches one running turn's process group for a stopped member, every check interval on the turn's clock.</summary>
public static class StoppedProcessWatch
{
    /// <summary>Completes once the group was found stopped and killed (<see cref="IAgentProcess.KillIfStopped"/>); runs until
    /// <paramref name="cancellationToken"/> fires otherwise.</summary>
    public static async Task UntilStoppedAsync(IAgentProcess process, TimeSpan interval, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, timeProvider);
        while (!process.KillIfStopped(interval))
        {
            await timer.WaitForNextTickAsync(cancellationToken);
        }
    }
}
