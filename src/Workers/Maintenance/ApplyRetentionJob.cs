using Microsoft.Extensions.Options;
using Quartz;
using Workers.Service;
using Workers.Store;

namespace Workers.Maintenance;

/// <summary>Deletes finished turns older than <c>Workers:Service:Retention</c>, with their events and run records, so
/// the store does not grow without bound.</summary>
[DisallowConcurrentExecution]
internal sealed class ApplyRetentionJob(ITurnStore store, IOptions<ServiceOptions> options, TimeProvider timeProvider) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await store.ApplyRetentionAsync(timeProvider.GetUtcNow() - options.Value.Retention, cancellationToken);
}
