using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Api;
using Workers.Profiles;
using Workers.Service;

namespace Workers.Hosting;

/// <summary>Builds the service (<c>workers serve</c>): configuration from <c>appsettings.json</c> beside the executable
/// and the environment, Kestrel on <c>Workers:Service:Urls</c>, the data-directory lock, the API.</summary>
public static class WorkersWebApplication
{
    /// <exception cref="InvalidOperationException">Another service holds the data directory.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddConfigDirectory(builder.Configuration);
        // Cleared before the customisation, so a provider it adds (a test's log capture) stays.
        builder.Logging.ClearProviders();
        // The health service logs a warning for every degraded check it runs, so each /readyz probe on a replica with an
        // unavailable pool would write one; the pool logs its failed starts itself. An unhealthy check still logs (Error).
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Error);
        customize?.Invoke(builder);
        var service = builder.Configuration.GetSection(ServiceOptions.SectionName).Get<ServiceOptions>() ?? new ServiceOptions();
        var workers = builder.Configuration.GetSection(WorkersOptions.SectionName).Get<WorkersOptions>() ?? new WorkersOptions();
        builder.WebHost.UseUrls(service.Urls);
        // Kestrel cuts a body (chunked, or longer than announced) at the same limit the API checks Content-Length against.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = service.MaxRequestBodyBytes);
        if (service.JsonLogs)
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.IncludeScopes = true);
        }

        var dataLock = DataDirectoryLock.Acquire(workers.DataDirectoryPath);
        builder.Services.AddSingleton(dataLock);
        builder.Services.AddWorkers(builder.Configuration);
        builder.Services.AddWorkerService(builder.Configuration);
        builder.Services.AddOpenApi();
        // Stopping takes the drain deadline, then each pool stops its processes (session/close, EOF, SIGTERM, SIGKILL:
        // 4 × GracefulStop).
        var maintenance = builder.Configuration.GetSection(Maintenance.MaintenanceOptions.SectionName).Get<Maintenance.MaintenanceOptions>()
            ?? new Maintenance.MaintenanceOptions();
        var longestStop = workers.Profiles.Values.Select(p => p.Timeouts.GracefulStop * 4).DefaultIfEmpty(TimeSpan.Zero).Max();
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o =>
            o.ShutdownTimeout = maintenance.DrainDeadline + longestStop + TimeSpan.FromSeconds(15));
        var app = builder.Build();
        app.MapWorkersApi();
        return app;
    }

    /// <summary>The environment variable naming a directory whose <c>appsettings.json</c> is layered over the shipped one and
    /// under the environment, and reloaded when it changes (a mounted ConfigMap: pool sizes change without a restart).</summary>
    public const string ConfigDirectoryVariable = "WORKERS_CONFIG_DIR";

    private static void AddConfigDirectory(ConfigurationManager configuration)
    {
        if (Environment.GetEnvironmentVariable(ConfigDirectoryVariable) is { Length: > 0 } directory)
        {
            AddConfigDirectory(configuration, directory);
        }
    }

    /// <summary>Layers <c>&lt;directory&gt;/appsettings.json</c> (optional, reloaded on change) just under the environment.</summary>
    public static void AddConfigDirectory(ConfigurationManager configuration, string directory)
    {
        var sources = (IList<IConfigurationSource>)configuration.Sources;
        // Before the last environment source (the unprefixed one that carries Workers__…); the first one is ASPNETCORE_-
        // or DOTNET_-prefixed and comes before the shipped appsettings.json, which must not win over this file.
        var environment = sources.ToList().FindLastIndex(s => s is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource);
        var file = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = "appsettings.json",
            Optional = true,
            ReloadOnChange = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetFullPath(directory)),
        };
        sources.Insert(environment < 0 ? sources.Count : environment, file);
    }
}
