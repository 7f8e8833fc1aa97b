using System.Text.Json;
using Workers.Turns;

namespace Workers.Host.Commands;

/// <summary>One turn of the demo workload, as measured: the turn record's figures the report needs (times in ms).</summary>
internal sealed record DemoTurn(string Profile, string Mode, string Kind, string Status, string? Reason, double? SpawnToFirstTokenMs,
    double? TimeToFirstTokenMs, string? Process, string? Session, string? SessionId, string Prompt, string Text)
{
    public const string Pool = "pool";
    public const string SpawnPerTurn = "spawn-per-turn";

    public bool Succeeded => Status == "succeeded";

    /// <summary>From the record <c>GET /v1/turns/{id}</c> answers (timing in seconds, snake_case segment names).</summary>
    public static DemoTurn FromRecord(string profile, string prompt, JsonElement record)
    {
        var timing = record.TryGetProperty("timing", out var t) ? t : default;
        return new DemoTurn(profile, Pool, String(record, "turn") ?? "first", String(record, "status") ?? "unknown", String(record, "reason"),
            Milliseconds(timing, "spawn_to_first_token"), Milliseconds(timing, "time_to_first_token"), String(record, "process"),
            String(record, "session"), String(record, "sessionId"), prompt, String(record, "text") ?? "");
    }

    public static DemoTurn FromResult(string prompt, TurnResult result) => new(result.Profile, SpawnPerTurn, result.Turn,
        result.Status.ToString().ToLowerInvariant(), result.Reason, result.Timing.SpawnToFirstToken?.TotalMilliseconds,
        result.Timing.TimeToFirstToken?.TotalMilliseconds, result.Process, result.Session, result.SessionId, prompt, result.Text);

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static double? Milliseconds(JsonElement timing, string segment) =>
        timing.ValueKind == JsonValueKind.Object && timing.TryGetProperty(segment, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble() * 1000
            : null;
}
