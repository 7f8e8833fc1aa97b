using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workers.Pooling;

namespace Workers.Service;

/// <summary>One pool's availability (<see cref="AgentPool.Availability"/>): at worst <see cref="HealthStatus.Degraded"/>,
/// never unhealthy, so that one profile that can serve nothing (a bad credential, a CLI that no longer starts) does not
/// take the replica out of its Service: the other profiles' turns are still pulled from the store and served here.</summary>
internal sealed class PoolHealthCheck(PoolRegistry pools, string profile) : IHealthCheck
{
    /// <summary>The tag of every pool's check.</summary>
    public const string Tag = "pool";

    /// <summary>The name of a pool's check: <c>pool:&lt;profile&gt;</c>.</summary>
    public static string NameFor(string profile) => $"{Tag}:{profile}";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!pools.TryGet(profile, out var pool))
        {
            return Task.FromResult(HealthCheckResult.Degraded($"No pool for profile '{profile}'."));
        }

        var availability = pool.Availability();
        var data = new Dictionary<string, object> { ["available"] = availability.IsAvailable };
        if (availability.Code is { } code)
        {
            data["code"] = code;
        }

        return Task.FromResult(availability.IsAvailable
            ? HealthCheckResult.Healthy("The pool can serve turns.", data)
            : HealthCheckResult.Degraded(availability.Reason, data: data));
    }
}
