namespace Workers.SimAgent;

/// <summary>The CLI's start-up work, done before it reads stdin. Real CLIs print nothing in this phase, and neither does this.</summary>
internal static class Startup
{
    public static async Task RunAsync(SimSettings settings)
    {
        await SimDelay.MsAsync(settings.StartupMs, CancellationToken.None);
        await StageGate.PassAsync(settings.Faults, FaultStage.Startup);
    }
}
