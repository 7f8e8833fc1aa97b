using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Workers.Service;
using Workers.Store;

namespace Workers.Api;

/// <summary>Probes: <c>/healthz</c> says the process answers; <c>/readyz</c> that the store is reachable and the
/// dispatcher and pools have started; <c>/startupz</c> that every pool has warmed up once.</summary>
internal static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder api)
    {
        api.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" })).WithName("Healthz");
        api.MapGet("/readyz", async (ITurnStore store, Dispatcher dispatcher, CancellationToken cancellationToken) =>
        {
            bool reachable;
            try
            {
                reachable = await store.PingAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                reachable = false;
            }

            var ready = reachable && dispatcher.IsStarted;
            return TypedResults.Json(new { status = ready ? "ready" : "not ready", store = reachable, dispatcher = dispatcher.IsStarted },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithName("Readyz");

        // For a start-up probe: every pool has warmed up to its MinReady once, so the first turns meet warm processes.
        api.MapGet("/startupz", (Pooling.PoolRegistry pools) =>
        {
            var cold = pools.All.Where(p => !p.HasWarmedUp).Select(p => p.Name).ToList();
            return TypedResults.Json(new { status = cold.Count == 0 ? "warm" : "warming", warming = cold },
                statusCode: cold.Count == 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithName("Startupz");
    }
}
