using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Workers.Service;

/// <summary>Ready once the dispatcher took back the leases of the previous run and claims turns.</summary>
internal sealed class DispatcherHealthCheck(Dispatcher dispatcher) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(dispatcher.IsStarted
            ? HealthCheckResult.Healthy("The dispatcher claims turns.")
            : HealthCheckResult.Unhealthy("The dispatcher has not started."));
}
