namespace Workers.Chaos;

/// <summary>A chaos run against one instance: producer load and kills together, then, once the kills stopped, the pool's
/// recovery, and the invariants read back from the service (<c>ops/chaos/README.md</c>).</summary>
public static class ChaosRun
{
    private static readonly TimeSpan StoppedGrace = TimeSpan.FromSeconds(5);

    public static async Task<ChaosReport> RunAsync(ChaosOptions options, CancellationToken cancellationToken)
    {
        var time = TimeProvider.System;
        var journal = new ChaosJournal();
        using var client = new WorkersClient(options.Url, options.Token);
        if (options.Service is { } local)
        {
            await local.StartAsync(options.Url, cancellationToken);
        }

        if (!await WaitForReadyTargetAsync(client, options.Profile, RunTimings.RecoveryLimit, time, cancellationToken))
        {
            throw new TimeoutException($"{options.Profile} did not reach its ready target within {RunTimings.RecoveryLimit.TotalSeconds} s.");
        }

        options.Output.WriteLine(
            $"{options.Profile} is at its ready target; load and kills for {options.Duration.TotalSeconds:0} s (seed {options.Seed}).");
        var started = time.GetTimestamp();
        var random = new Random(options.Seed);
        var runId = $"chaos-{options.Seed}-{time.GetUtcNow():MMddHHmmss}";
        using var settle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        settle.CancelAfter(options.Duration + options.SettleTimeout);
        using var killsStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        bool KeepGoing() => time.GetElapsedTime(started) < options.Duration && !journal.BudgetSpent(options.MaxTurns)
            && !cancellationToken.IsCancellationRequested;
        var producers = Enumerable.Range(0, options.Conversations)
            .Select(lane => (Lane: lane, Producer: new Producer(options, client, journal, new Random(random.Next()), runId)))
            .Select(p => Task.Run(() => p.Producer.RunAsync(p.Lane, KeepGoing, settle.Token), CancellationToken.None))
            .ToList();
        var killer = options.KillInterval > TimeSpan.Zero && options.KillsPerRound > 0
            ? new AgentKiller(options, client, journal, new Random(random.Next()), time).RunAsync(killsStop.Token)
            : Task.CompletedTask;
        var serviceKiller = options.Service is { } service && options.ServiceKillInterval > TimeSpan.Zero
            ? new ServiceKiller(options, service, client, journal, new Random(random.Next()), time)
            : null;
        var serviceKills = serviceKiller?.RunAsync(killsStop.Token) ?? Task.CompletedTask;
        var sampler = SampleAsync(client, journal, time, killsStop.Token);

        // Every turn runs under fire: the kills stop only once the last producer saw its last turn end.
        await Task.WhenAll(producers);
        await killsStop.CancelAsync();
        await Task.WhenAll(killer, serviceKills, sampler);
        options.Output.WriteLine(
            $"{journal.Accepted.Count} turns ended or were given up; kills stopped after {time.GetElapsedTime(started).TotalSeconds:0} s.");

        var killsStopped = time.GetTimestamp();
        var recovered = await WaitForReadyTargetAsync(client, options.Profile, RunTimings.RecoveryLimit, time, cancellationToken)
            ? time.GetElapsedTime(killsStopped)
            : (TimeSpan?)null;
        var stoppedLeft = await EndStoppedAsync(journal, time);
        if (serviceKiller is not null)
        {
            await serviceKiller.WhenCheckedAsync();
        }

        await DeathAccounting.CloseSegmentAsync(options, client, journal, cancellationToken);
        var audits = await AuditAsync(client, journal.Accepted, cancellationToken);
        var warmups = journal.Warmups.Order().ToList();
        var warmup = TimeSpan.FromSeconds(warmups.Count == 0 ? 0 : warmups[warmups.Count / 2]);
        var peak = Math.Max(options.Service?.PeakRssBytes ?? 0, journal.PeakWorkingSetBytes);
        return new ChaosReport(options, journal, audits, new RunTimings(time.GetElapsedTime(started), recovered, warmup, stoppedLeft, peak));
    }

    /// <summary>Polls until the profile's ready count reaches its target; false if it did not within <paramref name="limit"/>.</summary>
    private static async Task<bool> WaitForReadyTargetAsync(WorkersClient client, string profile, TimeSpan limit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < limit)
        {
            if (await PoolView.ReadinessAsync(client, profile, cancellationToken) is { } pool && pool.Ready >= pool.Target)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }

        return false;
    }

    /// <summary>The service must kill what this run stopped; what it left after a grace is counted, then killed here (the
    /// run leaves no process behind).</summary>
    private static async Task<int> EndStoppedAsync(ChaosJournal journal, TimeProvider time)
    {
        var stopped = journal.Kills.Where(k => k.Signal == "SIGSTOP").ToList();
        var started = time.GetTimestamp();
        while (stopped.Exists(k => Signals.IsAlive(k.Pid, k.StartTime)) && time.GetElapsedTime(started) < StoppedGrace)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), time);
        }

        var left = stopped.Where(k => Signals.IsAlive(k.Pid, k.StartTime)).ToList();
        foreach (var kill in left)
        {
            Signals.Send(kill.Pid, Signals.Kill);
        }

        return left.Count;
    }

    /// <summary>The service's peak working set and the pool's warm-ups, every second while the kills go on.</summary>
    private static async Task SampleAsync(WorkersClient client, ChaosJournal journal, TimeProvider time, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (await client.TryGetTextAsync("/metrics", stop) is { } text && MetricsText.Single(text, "process_working_set_bytes") is { } bytes)
                {
                    journal.ObserveWorkingSet((long)bytes);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Sampling ends with the kills.
        }
    }

    private static async Task<List<TurnAudit>> AuditAsync(WorkersClient client, IReadOnlyList<AcceptedTurn> accepted,
        CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(8);
        return [.. await Task.WhenAll(accepted.Select(async turn =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                return await TurnAudit.ReadAsync(client, turn, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }))];
    }
}
