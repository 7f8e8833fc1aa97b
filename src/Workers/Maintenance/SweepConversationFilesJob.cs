using Quartz;

namespace Workers.Maintenance;

/// <summary>Every <c>Workers:Maintenance:FileSweepInterval</c>: orphaned conversation directories, the trash, and the bytes of
/// the data directory (<see cref="ConversationFileSweep"/>).</summary>
[DisallowConcurrentExecution]
internal sealed class SweepConversationFilesJob(ConversationFileSweep sweep) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) =>
        await sweep.SweepAsync(cancellationToken);
}
