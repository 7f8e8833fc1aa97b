namespace Workers.Pooling;

/// <summary>Whether a pool can serve a turn now, and if not, why (<c>specs/pool.md</c>, "Availability").</summary>
/// <param name="IsAvailable">False when the pool can serve nothing.</param>
/// <param name="Code">Null when available; else <see cref="StartsFailing"/> or <see cref="CapacityStuck"/>.</param>
/// <param name="Reason">Null when available; else what is wrong, in words.</param>
public sealed record PoolAvailability(bool IsAvailable, string? Code, string? Reason)
{
    /// <summary>No process can serve and the last <see cref="AgentPool.UnavailableAfterFailedStarts"/> starts in a row failed.</summary>
    public const string StartsFailing = "starts_failing";

    /// <summary>Every capacity slot is held by a process past any turn's (or start's) limits.</summary>
    public const string CapacityStuck = "capacity_stuck";

    public static PoolAvailability Available { get; } = new(true, null, null);

    public static PoolAvailability Unavailable(string code, string reason) => new(false, code, reason);
}
