using Workers.Processes;

namespace Workers.Chaos;

/// <summary>Every kill interval, signals <see cref="ChaosOptions.KillsPerRound"/> of the profile's agent processes, drawn
/// uniformly among those the service lists, whatever their state (starting, ready, leased, bound: each stage is hit as
/// often as processes sit in it); SIGSTOP for <see cref="ChaosOptions.StopShare"/> of them, else SIGKILL. A stopped
/// process is left for the service to find and kill.</summary>
internal sealed class AgentKiller(ChaosOptions options, WorkersClient client, ChaosJournal journal, Random random, TimeProvider time)
{
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.KillInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await journal.LifetimeGate.WaitAsync(stop);
                try
                {
                    await RoundAsync(stop);
                }
                finally
                {
                    journal.LifetimeGate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Kills are over.
        }
    }

    private async Task RoundAsync(CancellationToken cancellationToken)
    {
        if (await PoolView.ProcessesAsync(client, options.Profile, cancellationToken) is not { } listed)
        {
            return;
        }

        var candidates = new List<(ListedProcess Process, long StartTime)>();
        foreach (var process in listed)
        {
            if (process.WarmupSeconds is { } warmup)
            {
                journal.ObserveWarmup(process.Pid, warmup);
            }

            if (ProcessLiveness.IsRunnable(process.Pid) && ProcessLiveness.StartTicks(process.Pid) is { } startTime
                && !journal.WasSignalled(process.Pid, startTime))
            {
                candidates.Add((process, startTime));
            }
        }

        for (var i = 0; i < options.KillsPerRound && candidates.Count > 0; i++)
        {
            var (process, startTime) = candidates[random.Next(candidates.Count)];
            candidates.RemoveAll(c => c.Process.Pid == process.Pid);
            var stopIt = random.NextDouble() < options.StopShare;
            if (Signals.IsAlive(process.Pid, startTime) && Signals.Send(process.Pid, stopIt ? Signals.Stop : Signals.Kill))
            {
                var signal = stopIt ? "SIGSTOP" : "SIGKILL";
                journal.Add(new AgentKill(time.GetUtcNow(), process.Pid, startTime, process.State, signal, journal.CurrentSegment));
            }
        }
    }
}
