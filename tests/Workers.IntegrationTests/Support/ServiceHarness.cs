using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Hosting;
using Workers.Profiles;
using Workers.Service;

namespace Workers.IntegrationTests.Support;

/// <summary>The whole service in this process, on a free loopback port, over a real SQLite file in the harness's data
/// directory, with the harness's simulated-agent profiles. Tests talk to it over real HTTP.</summary>
public sealed class ServiceHarness : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServiceHarness(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ServiceHarness> StartAsync(SimHarness sim, IDictionary<string, string?>? settings = null,
        Action<WorkersOptions>? configure = null, string? configDirectory = null, LogCapture? logs = null,
        Action<WebApplicationBuilder>? customize = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Workers:DataDirectory"] = Path.Combine(sim.DataDirectory, "service"),
            ["Workers:Service:Urls"] = "http://127.0.0.1:0",
            ["Workers:Service:EventFlushInterval"] = "00:00:00.050",
            ["Workers:Service:PollInterval"] = "00:00:00.200",
            ["Workers:Maintenance:DrainDeadline"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = WorkersWebApplication.Build([], builder =>
        {
            if (configDirectory is not null)
            {
                WorkersWebApplication.AddConfigDirectory(builder.Configuration, configDirectory);
            }

            builder.Configuration.AddInMemoryCollection(values);
            if (logs is not null)
            {
                builder.Logging.AddProvider(logs);
            }

            builder.Services.Configure<WorkersOptions>(options =>
            {
                options.Profiles = new Dictionary<string, AgentProfile>(sim.Profiles, StringComparer.OrdinalIgnoreCase);
                configure?.Invoke(options);
            });
            customize?.Invoke(builder);
        });
        await app.StartAsync();
        return new ServiceHarness(app, new Uri(app.Urls.First()));
    }

    public async Task<JsonElement> EnqueueAsync(object turn, CancellationToken cancellationToken)
    {
        using var response = await Client.PostAsJsonAsync("/v1/turns", turn, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"enqueue answered {(int)response.StatusCode}: {body}");
        return body;
    }

    public async Task<JsonElement> GetTurnAsync(string id, CancellationToken cancellationToken) =>
        await Client.GetFromJsonAsync<JsonElement>($"/v1/turns/{id}", cancellationToken);

    /// <summary>Waits until the profile's pool holds <paramref name="count"/> ready processes (as /v1/pools reports them).</summary>
    public Task WaitForReadyProcessesAsync(string profile, int count, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async token =>
            {
                var pools = await Client.GetFromJsonAsync<JsonElement>("/v1/pools", token);
                var pool = pools.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == profile);
                return pool.GetProperty("processes").GetProperty("ready").GetInt32() >= count;
            }, $"{count} ready processes of {profile}", cancellationToken: cancellationToken);

    /// <summary>Polls the turn until it is terminal.</summary>
    public Task<JsonElement> WaitForEndAsync(string id, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        WaitForEndAsync(Client, id, timeout ?? TimeSpan.FromSeconds(60), cancellationToken);

    /// <summary>Polls the turn at <paramref name="client"/>'s service until it is terminal.</summary>
    public static async Task<JsonElement> WaitForEndAsync(HttpClient client, string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var turn = default(JsonElement);
        await Poll.UntilAsync(async token =>
            {
                turn = await client.GetFromJsonAsync<JsonElement>($"/v1/turns/{id}", token);
                return turn.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled";
            }, $"turn {id} to end", timeout, cancellationToken);
        return turn;
    }

    /// <summary>Polls the turn until it has the status <paramref name="status"/> (e.g. <c>running</c>: claimed).</summary>
    public Task WaitForStatusAsync(string id, string status, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async token => (await GetTurnAsync(id, token)).GetProperty("status").GetString() == status,
            $"turn {id} to be {status}", cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        // The service holds its data directory until its process ends (the container does not own the lock); a harness
        // ends here, so that another service can start on the same database within this test process, as after a restart.
        var dataDirectoryLock = _app.Services.GetRequiredService<DataDirectoryLock>();
        await _app.StopAsync();
        await _app.DisposeAsync();
        dataDirectoryLock.Dispose();
    }
}
