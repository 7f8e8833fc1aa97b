using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Workers.Serialization;
using Workers.Pooling;
using Workers.Profiles;

namespace Workers.Api;

/// <summary><c>/v1/pools</c>: the status page of every profile's pool (like a PHP-FPM status page), its processes,
/// and draining one.</summary>
internal static class PoolsEndpoints
{
    public static void MapPools(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/pools", (ProfileCatalog profiles, PoolRegistry pools) =>
            TypedResults.Json(new { pools = profiles.All.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => Status(p, pools)) }, WorkersJson.Options))
            .WithName("ListPools");

        api.MapGet("/v1/pools/{profile}/processes", (string profile, PoolRegistry pools) =>
            pools.TryGet(profile, out var pool)
                ? TypedResults.Json(new
                {
                    profile = pool.Name,
                    processes = pool.Snapshot().Processes.Select(p => new
                    {
                        id = p.Id,
                        pid = p.Pid,
                        state = p.State.ToString().ToLowerInvariant(),
                        ageSeconds = Math.Round(p.Age.TotalSeconds, 3),
                        turnsServed = p.TurnsServed,
                        bound = p.Bound,
                        warmupSeconds = p.Warmup is { } w ? Math.Round(w.TotalSeconds, 3) : (double?)null,
                        warmSet = p.WarmSet,
                    }),
                }, WorkersJson.Options)
                : ApiProblems.NotFound($"No pool for profile '{profile}' (unknown or unavailable).")).WithName("ListPoolProcesses");

        api.MapPost("/v1/pools/{profile}/drain", (string profile, PoolRegistry pools) =>
            pools.TryGet(profile, out var pool)
                ? TypedResults.Accepted($"/v1/pools", new { profile = pool.Name, retiredNow = pool.Drain() })
                : ApiProblems.NotFound($"No pool for profile '{profile}' (unknown or unavailable).")).WithName("DrainPool");
    }

    private static object Status(ResolvedProfile profile, PoolRegistry pools)
    {
        if (!pools.TryGet(profile.Name, out var pool))
        {
            return new { profile = profile.Name, family = profile.Family, available = false, unavailableReason = profile.UnavailableReason };
        }

        var snapshot = pool.Snapshot();
        var counters = snapshot.Counters;
        var availability = pool.Availability();
        return new
        {
            profile = profile.Name,
            family = profile.Family,
            available = availability.IsAvailable,
            unavailableCode = availability.Code,
            unavailableReason = availability.Reason,
            cliVersion = pool.CliVersion,
            processes = Enum.GetValues<PoolProcessState>().Where(s => s != PoolProcessState.Retired)
                .ToDictionary(s => s.ToString().ToLowerInvariant(), snapshot.CountIn),
            readyTarget = snapshot.ReadyTarget,
            minReady = snapshot.MinReady,
            maxReady = snapshot.MaxReady,
            maxProcesses = snapshot.MaxProcesses,
            boundSessions = snapshot.BoundSessions,
            waitingTurns = snapshot.WaitingTurns,
            arrivalsPerMinute = Math.Round(snapshot.ArrivalRate * 60, 2),
            warmSets = snapshot.WarmSets.Select(s => new
            {
                name = s.Name,
                directory = s.Directory,
                ready = s.Ready,
                starting = s.Starting,
                readyTarget = s.ReadyTarget,
                minReady = s.MinReady,
                maxReady = s.MaxReady,
                waitingTurns = s.WaitingTurns,
                arrivalsPerMinute = Math.Round(s.ArrivalRate * 60, 2),
            }),
            leases = counters.Leases,
            warmLeases = counters.WarmLeases,
            warmShare = Math.Round(counters.WarmShare, 4),
            leaseTimeouts = counters.LeaseTimeouts,
            spawned = counters.Spawned,
            startFailures = counters.StartFailures,
            retiredByReason = counters.RetiredByReason,
        };
    }
}
