using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Workers.Metrics;
using Workers.Service;

namespace Workers.Api;

/// <summary>The HTTP API of the service (<c>specs/api.md</c>).</summary>
public static class WorkersApi
{
    public static WebApplication MapWorkersApi(this WebApplication app)
    {
        UseKnownProxies(app);
        app.UseMiddleware<RequestRefusals>();
        app.UseMiddleware<BearerTokenAuthentication>();
        app.MapHealth();
        // The machine-readable description of this API, at /openapi/v1.json.
        app.MapOpenApi();
        app.MapTurns();
        app.MapConversations();
        app.MapPools();
        var registry = app.Services.GetRequiredService<CollectorRegistry>();
        app.Services.GetRequiredService<GaugeCollector>().Register(registry);
        app.MapMetrics("/metrics", registry);
        return app;
    }

    /// <summary>With <c>KnownProxies</c> set, the client of a request that came through one of them is the last address its
    /// <c>X-Forwarded-For</c> names; without, the header is ignored (ASP.NET would otherwise trust loopback proxies).</summary>
    private static void UseKnownProxies(WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<IOptions<ServiceOptions>>().Value.KnownProxies;
        if (proxies.Count == 0)
        {
            return;
        }

        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in Service.KnownProxies.Parse(proxies))
        {
            forwarded.KnownIPNetworks.Add(network);
        }

        app.UseForwardedHeaders(forwarded);
    }
}
