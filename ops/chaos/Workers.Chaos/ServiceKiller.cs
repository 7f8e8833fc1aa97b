using Workers.Processes;

namespace Workers.Chaos;

/// <summary>Now and then SIGKILLs the local service and starts it again at once, as an orchestrator restarts a crashed
/// pod. Before each kill it closes the service's lifetime (its deaths against its <c>/metrics</c>) and notes its agents;
/// 10 s after, none of them may be alive (the service's orphan watchdog ends them).</summary>
internal sealed class ServiceKiller(ChaosOptions options, LocalService service, WorkersClient client, ChaosJournal journal, Random random,
    TimeProvider time)
{
    public static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(10);
    private readonly List<Task> _orphanChecks = [];

    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                // Jittered, so the kill lands at a different point of the turns each time.
                await Task.Delay(options.ServiceKillInterval * (0.5 + random.NextDouble()), time, stop);
                await KillAndRestartAsync(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Kills are over; a restart that had begun has finished (it is not cancelled by stop).
        }
    }

    /// <summary>The orphan checks of the kills so far.</summary>
    public Task WhenCheckedAsync() => Task.WhenAll(_orphanChecks);

    private async Task KillAndRestartAsync(CancellationToken stop)
    {
        await journal.LifetimeGate.WaitAsync(stop);
        try
        {
            await KillAndRestartHoldingGateAsync(stop);
        }
        finally
        {
            journal.LifetimeGate.Release();
        }
    }

    private async Task KillAndRestartHoldingGateAsync(CancellationToken stop)
    {
        var agents = new List<(int Pid, long StartTime)>();
        foreach (var process in await PoolView.ProcessesAsync(client, options.Profile, stop) ?? [])
        {
            if (ProcessLiveness.StartTicks(process.Pid) is { } startTime)
            {
                agents.Add((process.Pid, startTime));
            }
        }

        await DeathAccounting.CloseSegmentAsync(options, client, journal, CancellationToken.None);
        await service.KillAsync();
        var killedAt = time.GetTimestamp();
        var at = time.GetUtcNow();
        _orphanChecks.Add(CheckOrphansAsync(agents, killedAt, at));
        await service.StartAsync(options.Url, CancellationToken.None);
    }

    private async Task CheckOrphansAsync(List<(int Pid, long StartTime)> agents, long killedAt, DateTimeOffset at)
    {
        TimeSpan? lastGone = null;
        while (time.GetElapsedTime(killedAt) < OrphanGrace)
        {
            if (!agents.Exists(a => Signals.IsAlive(a.Pid, a.StartTime)))
            {
                lastGone = time.GetElapsedTime(killedAt);
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time);
        }

        var alive = agents.Where(a => Signals.IsAlive(a.Pid, a.StartTime)).Select(a => a.Pid).ToList();
        journal.Add(new ServiceKill(at, agents.Count, alive, alive.Count == 0 ? lastGone ?? time.GetElapsedTime(killedAt) : null));
    }
}
