using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Workers.Metrics;

namespace Workers.Api;

/// <summary>The HTTP API of the service (<c>specs/api.md</c>).</summary>
public static class WorkersApi
{
    public static WebApplication MapWorkersApi(this WebApplication app)
    {
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
}
