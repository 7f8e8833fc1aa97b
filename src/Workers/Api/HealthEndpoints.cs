using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workers.Serialization;
using Workers.Service;

namespace Workers.Api;

/// <summary>Probes: <c>/healthz</c> says the process answers; <c>/readyz</c> that the store is reachable and the
/// dispatcher has started (the health checks of <see cref="WorkersHealthChecks"/>; a pool that can serve nothing shows
/// as degraded in its detail); <c>/startupz</c> that every pool has warmed up once.</summary>
internal static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder api)
    {
        api.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" })).WithName("Healthz");
        // Ready: the store answers and the dispatcher runs. A pool that can serve nothing only degrades it (still 200).
        api.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReadinessAsync,
        }).WithName("Readyz");

        // For a start-up probe: every pool has warmed up to its MinReady once, so the first turns meet warm processes.
        api.MapGet("/startupz", (Pooling.PoolRegistry pools) =>
        {
            var cold = pools.All.Where(p => !p.HasWarmedUp).Select(p => p.Name).ToList();
            return TypedResults.Json(new { status = cold.Count == 0 ? "warm" : "warming", warming = cold },
                statusCode: cold.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithName("Startupz");
    }

    /// <summary><c>{"status":"ready","store":true,"dispatcher":true,"checks":{"pool:sim-acp":{"status":"degraded",…}}}</c>.</summary>
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        bool Healthy(string name) => report.Entries.TryGetValue(name, out var entry) && entry.Status == HealthStatus.Healthy;
        var body = new
        {
            status = report.Status == HealthStatus.Unhealthy ? "not ready" : "ready",
            store = Healthy(WorkersHealthChecks.Store),
            dispatcher = Healthy(WorkersHealthChecks.Dispatcher),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description,
            }),
        };
        return context.Response.WriteAsJsonAsync(body, WorkersJson.Options);
    }
}
