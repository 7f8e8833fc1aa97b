namespace Workers.Profiles;

/// <summary>A profile's canary (<c>Workers:Profiles:&lt;name&gt;:Canary</c>, <c>specs/canaries.md</c>): a scheduled synthetic
/// turn, enqueued through the store like a producer's and run through the same claim, pool, ladder and driver, in a
/// conversation of its own. It takes a ready process or is skipped, and is counted under <c>workers_canary_*</c> only, so
/// a silent regression after a CLI update shows before producers feel it.</summary>
public sealed class CanaryOptions
{
    /// <summary>The default of <see cref="Prompt"/>: short, so a canary costs a handful of tokens.</summary>
    public const string DefaultPrompt = "Reply with the single word OK.";

    /// <summary>A Quartz cron expression (seconds first), e.g. <c>0 */5 * * * ?</c> for every five minutes; empty: no canary.</summary>
    public string Cron { get; set; } = "";

    /// <summary>The canary turn's prompt.</summary>
    public string Prompt { get; set; } = DefaultPrompt;

    /// <summary>How long after its schedule time the canary may still start and finish; it is the turn's deadline.</summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>True when a schedule is set.</summary>
    public bool IsScheduled => !string.IsNullOrWhiteSpace(Cron);
}
