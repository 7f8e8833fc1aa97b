using Microsoft.Extensions.Options;
using Quartz;
using Workers.Service;

namespace Workers.Maintenance;

/// <summary>Deletes finished turns older than <c>Workers:Service:Retention</c>, with their events and run records, so
/// the store does not grow without bound, and the files of the conversations it empties (<see cref="ConversationRetention"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class ApplyRetentionJob(ConversationRetention retention, IOptions<ServiceOptions> options, TimeProvider timeProvider) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await retention.ApplyAsync(timeProvider.GetUtcNow() - options.Value.Retention, cancellationToken);
}
