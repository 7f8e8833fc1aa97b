namespace Workers.Processes;

/// <summary>Watches one running turn's process group for a stopped member, every check interval on the turn's clock.</summary>
public static class StoppedProcessWatch
{
    /// <summary>True once the group was found stopped and killed (<see cref="IAgentProcess.KillIfStopped"/>); false, without
    /// throwing, when <paramref name="cancellationToken"/> ends the watch first.</summary>
    public static async Task<bool> UntilStoppedAsync(IAgentProcess process, TimeSpan interval, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        using var timer = new QuietPeriodicTimer(interval, timeProvider, cancellationToken);
        while (!process.KillIfStopped(interval))
        {
            if (!await timer.WaitForNextTickAsync())
            {
                return false;
            }
        }

        return true;
    }
}
