using Quartz;
using Workers.Pooling;

namespace Workers.Maintenance;

/// <summary>Fired by a pool's cron schedule: from now on the pool keeps at least the schedule's MinReady.</summary>
[DisallowConcurrentExecution]
internal sealed class ApplyPoolScheduleJob(PoolRegistry pools) : IJob
{
    public const string ProfileKey = "profile";
    public const string MinReadyKey = "minReady";

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        if (pools.TryGet(data.GetString(ProfileKey)!, out var pool))
        {
            pool.SetMinReadyOverride(data.GetInt(MinReadyKey));
        }

        return ValueTask.CompletedTask;
    }
}
