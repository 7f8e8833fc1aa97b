using System.Text.Json.Serialization;

namespace Workers.Turns;

/// <summary>The segments of one turn's wait (<c>specs/timing.md</c>). <see cref="CliReady"/>,
/// <see cref="SessionInit"/>, <see cref="ModelFirstToken"/> and <see cref="Remainder"/> sum exactly to
/// <see cref="SpawnToFirstToken"/>; a segment whose marker the family cannot observe is null, never a fake 0.</summary>
public sealed record TurnTiming
{
    [JsonIgnore] public TimeSpan QueueWait { get; init; }
    [JsonIgnore] public TimeSpan LeaseWait { get; init; }
    [JsonIgnore] public TimeSpan? CliReady { get; init; }
    [JsonIgnore] public TimeSpan? SessionInit { get; init; }
    [JsonIgnore] public TimeSpan? ModelFirstToken { get; init; }
    [JsonIgnore] public TimeSpan? Remainder { get; init; }
    [JsonIgnore] public TimeSpan? SpawnToFirstToken { get; init; }
    [JsonIgnore] public TimeSpan? TimeToFirstToken { get; init; }
    [JsonIgnore] public TimeSpan? TurnDuration { get; init; }

    /// <summary>How long before the lease the turn's process was spawned (zero or less for a cold spawn).</summary>
    [JsonIgnore] public TimeSpan? ProcessAgeAtLease { get; init; }

    // The seconds properties are the JSON form; their setters let a stored record be read back (workers report).
    [JsonPropertyName("queue_wait")] public double QueueWaitSeconds { get => QueueWait.TotalSeconds; init => QueueWait = TimeSpan.FromSeconds(value); }
    [JsonPropertyName("lease_wait")] public double LeaseWaitSeconds { get => LeaseWait.TotalSeconds; init => LeaseWait = TimeSpan.FromSeconds(value); }
    [JsonPropertyName("cli_ready")] public double? CliReadySeconds { get => CliReady?.TotalSeconds; init => CliReady = Seconds(value); }
    [JsonPropertyName("session_init")] public double? SessionInitSeconds { get => SessionInit?.TotalSeconds; init => SessionInit = Seconds(value); }
    [JsonPropertyName("model_first_token")] public double? ModelFirstTokenSeconds { get => ModelFirstToken?.TotalSeconds; init => ModelFirstToken = Seconds(value); }
    [JsonPropertyName("remainder")] public double? RemainderSeconds { get => Remainder?.TotalSeconds; init => Remainder = Seconds(value); }
    [JsonPropertyName("spawn_to_first_token")] public double? SpawnToFirstTokenSeconds { get => SpawnToFirstToken?.TotalSeconds; init => SpawnToFirstToken = Seconds(value); }
    [JsonPropertyName("time_to_first_token")] public double? TimeToFirstTokenSeconds { get => TimeToFirstToken?.TotalSeconds; init => TimeToFirstToken = Seconds(value); }
    [JsonPropertyName("turn_duration")] public double? TurnDurationSeconds { get => TurnDuration?.TotalSeconds; init => TurnDuration = Seconds(value); }
    [JsonPropertyName("process_age_at_lease")] public double? ProcessAgeAtLeaseSeconds { get => ProcessAgeAtLease?.TotalSeconds; init => ProcessAgeAtLease = Seconds(value); }

    /// <summary>Applies the contract to raw markers: clamp to leased ≤ cli_ready ≤ session_ready ≤ first_token,
    /// then cut the wait into segments.</summary>
    public static TurnTiming From(TurnMarkers m, long timestampFrequency)
    {
        // Work in offsets from `leased`, each converted to ticks once, so that differences sum exactly.
        TimeSpan Offset(long timestamp) => TimeSpan.FromTicks(
            (long)((decimal)(timestamp - m.Leased) * TimeSpan.TicksPerSecond / timestampFrequency));
        TimeSpan? Clamp(long? timestamp, TimeSpan floor) => timestamp is { } t ? Max(Offset(t), floor) : null;

        var leased = TimeSpan.Zero;
        var cliReady = Clamp(m.CliReady, leased);
        var sessionReady = Clamp(m.SessionReady, cliReady ?? leased);
        var lastBeforeModel = sessionReady ?? cliReady ?? leased;
        var firstToken = Clamp(m.FirstToken, lastBeforeModel);
        var promptSent = Clamp(m.PromptSent, leased);
        if (promptSent is { } p && firstToken is { } f && p > f)
        {
            promptSent = f;
        }

        var finished = Clamp(m.Finished, firstToken ?? lastBeforeModel);
        var claimedToLeased = TimeSpan.FromTicks(
            (long)((decimal)(m.Leased - m.Claimed) * TimeSpan.TicksPerSecond / timestampFrequency));
        var queueWait = Max(m.ClaimedAt - m.EnqueuedAt, TimeSpan.Zero);

        TimeSpan? cliSegment = cliReady - leased;
        TimeSpan? sessionSegment = sessionReady - (cliReady ?? leased);
        TimeSpan? modelSegment = firstToken - Max(lastBeforeModel, promptSent ?? lastBeforeModel);
        TimeSpan? total = firstToken - leased;
        TimeSpan? remainder = total - (cliSegment ?? TimeSpan.Zero) - (sessionSegment ?? TimeSpan.Zero) - modelSegment;

        return new TurnTiming
        {
            QueueWait = queueWait,
            LeaseWait = Max(claimedToLeased, TimeSpan.Zero),
            CliReady = cliSegment,
            SessionInit = sessionSegment,
            ModelFirstToken = modelSegment,
            Remainder = remainder,
            SpawnToFirstToken = total,
            TimeToFirstToken = total + queueWait + Max(claimedToLeased, TimeSpan.Zero),
            TurnDuration = finished - leased,
            ProcessAgeAtLease = m.Spawned is { } s ? -Offset(s) : null,
        };
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan? Seconds(double? value) => value is { } v ? TimeSpan.FromSeconds(v) : null;
}
