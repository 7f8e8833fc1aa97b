using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Quartz;
using Workers.Maintenance;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Running;
using Workers.Sessions;

namespace Workers.Hosting;

/// <summary>Registers the warm pools, the session registry, the pooled turn runner (also as the dispatcher's
/// <see cref="ITurnRunner"/>) and their Quartz upkeep.</summary>
public static class WorkerPoolsServiceCollectionExtensions
{
    public static IServiceCollection AddWorkerPools(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MaintenanceOptions>().Bind(configuration.GetSection(MaintenanceOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MaintenanceOptions>, MaintenanceOptionsValidator>());
        services.TryAddSingleton<PoolRegistry>();
        services.TryAddSingleton<SessionRegistry>();
        services.TryAddSingleton<IConversationSessionStore>(sp => new JsonFileConversationSessionStore(
            Path.Combine(sp.GetRequiredService<ProfileCatalog>().DataDirectory, "conversation-sessions.json")));
        services.TryAddSingleton<PooledTurnRunner>();
        services.TryAddSingleton<ITurnRunner>(sp => sp.GetRequiredService<PooledTurnRunner>());
        services.AddHostedService<PoolHostedService>();

        var maintenance = configuration.GetSection(MaintenanceOptions.SectionName).Get<MaintenanceOptions>() ?? new MaintenanceOptions();
        var workers = configuration.GetSection(WorkersOptions.SectionName).Get<WorkersOptions>() ?? new WorkersOptions();
        services.AddQuartz(quartz =>
        {
            var reap = new JobKey("reap-pools");
            quartz.AddJob<ReapPoolsJob>(j => j.WithIdentity(reap));
            quartz.AddTrigger(t => t.ForJob(reap).StartNow().WithSimpleSchedule(s => s.WithInterval(maintenance.ReapInterval).RepeatForever()));

            var schedule = new JobKey("apply-pool-schedule");
            quartz.AddJob<ApplyPoolScheduleJob>(j => j.WithIdentity(schedule).StoreDurably());
            foreach (var (name, profile) in workers.Profiles)
            {
                foreach (var entry in profile.Pool.Schedules)
                {
                    quartz.AddTrigger(t => t.ForJob(schedule)
                        .UsingJobData(ApplyPoolScheduleJob.ProfileKey, name)
                        .UsingJobData(ApplyPoolScheduleJob.MinReadyKey, entry.MinReady)
                        .WithCronSchedule(entry.Cron, _ => { }));
                }
            }
        });
        services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
        return services;
    }
}
