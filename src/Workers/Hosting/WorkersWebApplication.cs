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
        customize?.Invoke(builder);
        var service = builder.Configuration.GetSection(ServiceOptions.SectionName).Get<ServiceOptions>() ?? new ServiceOptions();
        var workers = builder.Configuration.GetSection(WorkersOptions.SectionName).Get<WorkersOptions>() ?? new WorkersOptions();
        builder.WebHost.UseUrls(service.Urls);
        builder.Logging.ClearProviders();
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
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
        var app = builder.Build();
        app.MapWorkersApi();
        return app;
    }
}
