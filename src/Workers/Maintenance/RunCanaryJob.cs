using Quartz;

namespace Workers.Maintenance;

/// <summary>Fired by a profile's canary schedule (<c>Workers:Profiles:&lt;name&gt;:Canary:Cron</c>): enqueues that tick's
/// canary. The tick is the trigger's scheduled time, the same on every replica, not the moment this one woke up.</summary>
[DisallowConcurrentExecution]
internal sealed class RunCanaryJob(CanaryEnqueue canaries) : IJob
{
    public const string ProfileKey = "profile";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await canaries.EnqueueAsync(context.MergedJobDataMap.GetString(ProfileKey)!, context.ScheduledFireTimeUtc ?? context.FireTimeUtc,
            cancellationToken);
}
