using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workers.Store;

namespace Workers.Service;

/// <summary>Ready when the turn store answers a ping: turns are pulled from it, so without it this replica can do nothing.</summary>
internal sealed class StoreHealthCheck(ITurnStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy("The store answers.")
                : HealthCheckResult.Unhealthy("The store does not answer.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The store failed its ping: {ex.Message}");
        }
    }
}
