using Quartz;
using Workers.Pooling;

namespace Workers.Maintenance;

/// <summary>Retires bound sessions idle past their TTL and processes past their lifetime or turn count.</summary>
[DisallowConcurrentExecution]
internal sealed class ReapPoolsJob(PoolRegistry pools) : IJob
{
    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        foreach (var pool in pools.All)
        {
            pool.Reap();
        }

        return ValueTask.CompletedTask;
    }
}
