using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Workers.Families;
using Workers.Processes;
using Workers.Profiles;
using Workers.Running;

namespace Workers.Hosting;

/// <summary>Registers the behaviour of Workers; the host stays a composition root.</summary>
public static class WorkersServiceCollectionExtensions
{
    public static IServiceCollection AddWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkersOptions>()
            .Bind(configuration.GetSection(WorkersOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkersOptions>, WorkersOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProfileCatalog>();
        foreach (var driver in AgentDrivers.BuiltIn)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(driver));
        }

        services.TryAddSingleton<AgentDrivers>();
        services.TryAddSingleton(sp => sp.GetRequiredService<AgentDrivers>().Names);
        services.TryAddSingleton<SpawnPerTurnRunner>();
        services.TryAddSingleton<OrphanWatchdog>();
        services.TryAddSingleton(sp => new ChildProcessLedger(sp.GetRequiredService<ProfileCatalog>().DataDirectory,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ChildProcessLedger>>()));
        services.TryAddSingleton(sp => new AgentLauncher(sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(), sp.GetRequiredService<OrphanWatchdog>(),
            sp.GetRequiredService<ChildProcessLedger>()));
        services.TryAddSingleton<IAgentLauncher, FamilyLauncher>();
        return services;
    }
}
