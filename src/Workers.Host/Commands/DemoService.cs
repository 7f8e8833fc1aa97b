using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Workers.Hosting;
using Workers.Running;

namespace Workers.Host.Commands;

/// <summary>The service, run in-process for the demo: the shipped profiles, a fresh data directory that is deleted at
/// the end, an ephemeral port on 127.0.0.1, warnings only (on stderr, so stdout stays the demo's).</summary>
internal sealed class DemoService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DirectoryInfo _data;

    private DemoService(WebApplication app, DirectoryInfo data)
    {
        _app = app;
        _data = data;
    }

    public string DataDirectory => _data.FullName;

    /// <summary>Where the service listens (the port Kestrel picked).</summary>
    public Uri Url => new(_app.Urls.First());

    /// <summary>The baseline runner, from the service's own container: same profiles, drivers and launcher as the pool.</summary>
    public SpawnPerTurnRunner SpawnPerTurn => _app.Services.GetRequiredService<SpawnPerTurnRunner>();

    /// <param name="profiles">The profiles the demo uses; every other configured profile keeps no process ready, so it
    /// does not compete for the CPU.</param>
    /// <param name="readyPerProfile">Processes each used profile keeps ready, and at most has: one per conversation, so the
    /// pool never spawns in the background while the workload is measured.</param>
    /// <param name="cancellationToken">Stops the start-up.</param>
    public static async Task<DemoService> StartAsync(IReadOnlyCollection<string> profiles, int readyPerProfile, CancellationToken cancellationToken)
    {
        var data = Directory.CreateTempSubdirectory("workers-demo-");
        DemoService? service = null;
        try
        {
            service = new DemoService(WorkersWebApplication.Build([], builder => Configure(builder, data.FullName, profiles, readyPerProfile)), data);
            await service._app.StartAsync(cancellationToken);
            return service;
        }
        catch
        {
            if (service is not null)
            {
                await service.DisposeAsync();
            }
            else
            {
                data.Delete(recursive: true);
            }

            throw;
        }
    }

    /// <summary>Stops the service (its pools stop every agent process) and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                _data.Delete(recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"workers demo: could not delete {_data.FullName}: {ex.Message}");
            }
        }
    }

    private static void Configure(WebApplicationBuilder builder, string dataDirectory, IReadOnlyCollection<string> profiles, int readyPerProfile)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Workers:DataDirectory"] = dataDirectory,
            ["Workers:Service:Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
        };
        foreach (var profile in builder.Configuration.GetSection("Workers:Profiles").GetChildren().Select(p => p.Key))
        {
            var used = profiles.Contains(profile, StringComparer.OrdinalIgnoreCase);
            if (!used)
            {
                settings[$"Workers:Profiles:{profile}:Pool:MinReady"] = "0";
            }
            else
            {
                var ready = readyPerProfile.ToString(System.Globalization.CultureInfo.InvariantCulture);
                settings[$"Workers:Profiles:{profile}:Pool:MinReady"] = ready;
                settings[$"Workers:Profiles:{profile}:Pool:MaxReady"] = ready;
                settings[$"Workers:Profiles:{profile}:Pool:MaxProcesses"] = ready;
            }
        }

        // Added last, so it wins over appsettings.json and the environment.
        builder.Configuration.AddInMemoryCollection(settings);
    }
}
