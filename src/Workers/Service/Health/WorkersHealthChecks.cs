using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workers.Pooling;
using Workers.Profiles;

namespace Workers.Service;

/// <summary>The service's health checks (<c>Microsoft.Extensions.Diagnostics.HealthChecks</c>): the store and the dispatcher,
/// which decide readiness, and one per pool, which can only degrade it (<see cref="PoolHealthCheck"/>).</summary>
public static class WorkersHealthChecks
{
    public const string Store = "store";

    public const string Dispatcher = "dispatcher";

    public static IServiceCollection AddWorkersHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>(Store)
            .AddCheck<DispatcherHealthCheck>(Dispatcher);
        // One check per pool; the pools exist once the profiles are resolved, so the registrations are added then.
        services.AddOptions<HealthCheckServiceOptions>().Configure<ProfileCatalog>((options, profiles) =>
        {
            foreach (var profile in profiles.All.Where(p => p.IsAvailable))
            {
                options.Registrations.Add(new HealthCheckRegistration(PoolHealthCheck.NameFor(profile.Name),
                    sp => new PoolHealthCheck(sp.GetRequiredService<PoolRegistry>(), profile.Name), HealthStatus.Degraded,
                    [PoolHealthCheck.Tag]));
            }
        });
        return services;
    }
}
