using Prometheus;
using Workers.Families;
using Workers.Pooling;
using Workers.Processes;
using Workers.Store;

namespace Workers.Metrics;

/// <summary>Sets the gauges at scrape time from the pools and the store, so they cost nothing between scrapes.</summary>
public sealed class GaugeCollector(WorkerMetrics metrics, PoolRegistry pools, ITurnStore store, TimeProvider timeProvider,
    Profiles.ProfileCatalog profiles)
{
    public void Register(CollectorRegistry registry) => registry.AddBeforeCollectCallback(CollectAsync);

    public async Task CollectAsync(CancellationToken cancellationToken)
    {
        foreach (var pool in pools.All)
        {
            var snapshot = pool.Snapshot();
            foreach (var state in Enum.GetValues<PoolProcessState>().Where(s => s != PoolProcessState.Retired))
            {
                metrics.PoolProcesses.WithLabels(pool.Name, state.ToString().ToLowerInvariant()).Set(snapshot.CountIn(state));
            }

            metrics.PoolAvailable.WithLabels(pool.Name).Set(pool.Availability().IsAvailable ? 1 : 0);
            metrics.ReadyTarget.WithLabels(pool.Name).Set(snapshot.ReadyTarget);
            foreach (var set in snapshot.WarmSets)
            {
                metrics.WarmSetReady.WithLabels(pool.Name, set.Name).Set(set.Ready);
                metrics.WarmSetReadyTarget.WithLabels(pool.Name, set.Name).Set(set.ReadyTarget);
            }
            metrics.BoundSessions.WithLabels(pool.Name).Set(snapshot.BoundSessions);
            metrics.WaitingTurns.WithLabels(pool.Name).Set(snapshot.WaitingTurns);
            var trees = snapshot.Processes.Select(p => ProcessMemory.ResidentBytesOfTree(p.Pid)).ToList();
            metrics.ResidentMemory.WithLabels(pool.Name).Set(trees.Sum());
            metrics.LargestProcessMemory.WithLabels(pool.Name).Set(trees.DefaultIfEmpty(0).Max());
            if (pool.Options.MaxProcessRssMiB is { } limitMiB)
            {
                metrics.ProcessMemoryLimit.WithLabels(pool.Name).Set(limitMiB * 1024d * 1024d);
            }

            metrics.ProfileResumes.WithLabels(pool.Name).Set(ResumeFidelity.ProfileResumes(pool.Profile, pool.Traits) ? 1 : 0);
            if (pool.CliVersion is { } version)
            {
                metrics.CliInfo.WithLabels(pool.Name, version).Set(1);
            }
        }

        SetDataVolume();
        QueueStats stats;
        try
        {
            stats = await store.GetQueueStatsAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An unreachable store must not break the scrape of everything else.
            return;
        }

        foreach (var pool in pools.All)
        {
            metrics.QueueDepth.WithLabels(pool.Name).Set(stats.QueuedByProfile.GetValueOrDefault(pool.Name));
        }

        metrics.Running.Set(stats.Running);
        metrics.OldestQueuedAge.Set(stats.OldestQueuedAt is { } oldest ? Math.Max(0, (timeProvider.GetUtcNow() - oldest).TotalSeconds) : 0);
    }

    /// <summary>The data directory's file system, from one <c>statvfs</c> (cheap enough for the scrape path).</summary>
    private void SetDataVolume()
    {
        try
        {
            var volume = new DriveInfo(profiles.DataDirectory);
            metrics.DataVolumeFreeBytes.Set(volume.AvailableFreeSpace);
            metrics.DataVolumeSizeBytes.Set(volume.TotalSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Left at the last value; the scrape goes on.
        }
    }
}
