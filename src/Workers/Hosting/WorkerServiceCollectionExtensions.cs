using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Quartz;
using Workers.Maintenance;
using Workers.Metrics;
using Workers.Profiles;
using Workers.Service;
using Workers.Sessions;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.Hosting;

/// <summary>Registers the service: the SQLite turn store, the dispatcher, the live event hub and the API's helpers,
/// on top of <see cref="WorkersServiceCollectionExtensions.AddWorkers"/> and the pools.</summary>
public static class WorkerServiceCollectionExtensions
{
    public static IServiceCollection AddWorkerService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServiceOptions>().Bind(configuration.GetSection(ServiceOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ServiceOptions>, ServiceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ServiceOptions>, RequestBodyLimit>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ServiceOptions>, KnownProxies>());
        services.TryAddSingleton<ITurnStore>(sp => new SqliteTurnStore(Path.Combine(sp.GetRequiredService<ProfileCatalog>().DataDirectory, "workers.db")));
        services.TryAddSingleton<IConversationSessionStore>(sp => sp.GetRequiredService<ITurnStore>());
        // Hosted services start in registration order and stop in reverse: the store first up and last down, the
        // dispatcher last up and first down (it drains running turns before the pools stop their processes).
        services.AddHostedService<StoreInitializer>();
        services.AddWorkerPools(configuration);
        services.TryAddSingleton<TurnEventHub>();
        services.TryAddSingleton<Api.FailedTokenThrottle>();
        services.TryAddSingleton(sp => new TurnSubmissionValidator(sp.GetRequiredService<ProfileCatalog>(),
            sp.GetRequiredService<IOptions<ServiceOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        // Each service has its own registry (not prometheus-net's process-wide default), so two services in one process
        // (tests, the demo) never share series or scrape callbacks. .NET runtime stats are added to it.
        services.TryAddSingleton(_ =>
        {
            var registry = Prometheus.Metrics.NewCustomRegistry();
            Prometheus.DotNetStats.Register(registry);
            return registry;
        });
        services.TryAddSingleton(sp =>
        {
            var metrics = new WorkerMetrics(Prometheus.Metrics.WithCustomRegistry(sp.GetRequiredService<Prometheus.CollectorRegistry>()));
            foreach (var pool in sp.GetRequiredService<Workers.Pooling.PoolRegistry>().All)
            {
                metrics.Watch(pool);
            }

            return metrics;
        });
        services.TryAddSingleton<GaugeCollector>();
        services.AddWorkersTracing(configuration);
        services.TryAddSingleton(sp => new DrainDeadline(sp.GetRequiredService<IOptions<MaintenanceOptions>>().Value.DrainDeadline));
        services.TryAddSingleton<ConversationFileCleanup>();
        services.TryAddSingleton<ConversationRetention>();
        services.TryAddSingleton<ConversationFileSweep>();
        services.TryAddSingleton<CanaryEnqueue>();
        services.TryAddSingleton<Dispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Dispatcher>());
        services.AddWorkersHealthChecks();
        var maintenance = configuration.GetSection(MaintenanceOptions.SectionName).Get<MaintenanceOptions>() ?? new MaintenanceOptions();
        var workers = configuration.GetSection(WorkersOptions.SectionName).Get<WorkersOptions>() ?? new WorkersOptions();
        services.AddQuartz(quartz =>
        {
            var retention = new JobKey("apply-retention");
            quartz.AddJob<ApplyRetentionJob>(j => j.WithIdentity(retention));
            quartz.AddTrigger(t => t.ForJob(retention).StartNow().WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromHours(1)).RepeatForever()));

            var sweep = new JobKey("sweep-conversation-files");
            quartz.AddJob<SweepConversationFilesJob>(j => j.WithIdentity(sweep));
            quartz.AddTrigger(t => t.ForJob(sweep).StartNow().WithSimpleSchedule(s => s.WithInterval(maintenance.FileSweepInterval).RepeatForever()));

            var canary = new JobKey("run-canary");
            quartz.AddJob<RunCanaryJob>(j => j.WithIdentity(canary).StoreDurably());
            foreach (var (name, profile) in workers.Profiles.Where(p => p.Value.Enabled && p.Value.Canary.IsScheduled))
            {
                // A tick missed while the service was down is not made up: a canary is about now.
                quartz.AddTrigger(t => t.ForJob(canary)
                    .UsingJobData(RunCanaryJob.ProfileKey, name)
                    .WithCronSchedule(profile.Canary.Cron, c => c.WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing)));
            }
        });
        return services;
    }
}
