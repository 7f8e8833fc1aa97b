using System.Text.Json;

namespace Workers.Chaos;

/// <summary>One agent process as <c>GET /v1/pools/{profile}/processes</c> lists it.</summary>
internal sealed record ListedProcess(int Pid, string State, double? WarmupSeconds);

/// <summary>Reads the pool endpoints: the processes of the profile, and whether its ready count is at its target.</summary>
internal static class PoolView
{
    public static async Task<IReadOnlyList<ListedProcess>?> ProcessesAsync(WorkersClient client, string profile, CancellationToken cancellationToken)
    {
        if (await client.TryGetAsync($"/v1/pools/{Uri.EscapeDataString(profile)}/processes", cancellationToken) is not { } answer)
        {
            return null;
        }

        return [.. answer.GetProperty("processes").EnumerateArray().Select(p => new ListedProcess(
            p.GetProperty("pid").GetInt32(),
            p.GetProperty("state").GetString()!,
            p.TryGetProperty("warmupSeconds", out var warmup) && warmup.ValueKind == JsonValueKind.Number ? warmup.GetDouble() : null))];
    }

    /// <summary>The profile's ready count and ready target (null while the service does not answer).</summary>
    public static async Task<(int Ready, int Target)?> ReadinessAsync(WorkersClient client, string profile, CancellationToken cancellationToken)
    {
        if (await client.TryGetAsync("/v1/pools", cancellationToken) is not { } answer)
        {
            return null;
        }

        foreach (var pool in answer.GetProperty("pools").EnumerateArray())
        {
            if (pool.GetProperty("profile").GetString() == profile && pool.TryGetProperty("processes", out var processes))
            {
                return (processes.GetProperty("ready").GetInt32(), pool.GetProperty("readyTarget").GetInt32());
            }
        }

        throw new InvalidOperationException($"The service has no available pool for profile '{profile}'.");
    }
}
