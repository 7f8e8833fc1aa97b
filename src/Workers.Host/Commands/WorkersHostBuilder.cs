using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Workers.Hosting;

namespace Workers.Host.Commands;

/// <summary>The configuration every verb shares: <c>appsettings.json</c> beside the executable (so the service
/// behaves the same from any working directory and from publish output), then the environment.</summary>
internal static class WorkersHostBuilder
{
    public static HostApplicationBuilder Create(string[] args, LogLevel minimumLevel)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        // stdout carries the verb's output; logs go to stderr.
        builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(minimumLevel);
        builder.Services.AddWorkers(builder.Configuration);
        return builder;
    }
}
