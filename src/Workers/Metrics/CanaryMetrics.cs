using Prometheus;
using Workers.Turns;

namespace Workers.Metrics;

/// <summary>The canaries' own metrics (<c>specs/canaries.md</c>): a canary is never counted in the producer metrics
/// (<c>workers_turns_total</c>, the turn histograms, the SLO rules), only here, with the CLI version it ran on, so a silent
/// regression after an update is seen against the profile's own history.</summary>
public sealed class CanaryMetrics
{
    /// <summary>The pre-first-token segments a canary records, as the <c>segment</c> label.</summary>
    public static readonly string[] Segments = ["cli_ready", "session_init", "model_first_token", "remainder", "time_to_first_token"];

    /// <summary>The <c>outcome</c> of a canary that was not run: no ready process was free, or the queue was full.</summary>
    public const string Skipped = "skipped";

    private readonly Counter _runs;
    private readonly Histogram _preFirstToken;
    private readonly Gauge _lastRun;

    public CanaryMetrics(IMetricFactory factory)
    {
        _runs = factory.CreateCounter("workers_canary_turns_total",
            "Canary turns by outcome (succeeded, failed, cancelled, skipped), failure or skip reason, and the CLI version of the pool.",
            ["profile", "outcome", "reason", "version"]);
        _preFirstToken = factory.CreateHistogram("workers_canary_pre_first_token_seconds",
            "A succeeded canary's wait before its first token, by segment (the turn histograms' segments, and time_to_first_token).",
            ["profile", "segment"], new HistogramConfiguration { Buckets = WorkerMetrics.SecondsBuckets });
        // A time, not a count: "the latest canary failed" is then the latest failure being newer than the latest success,
        // across replicas (each holds only the canaries it ran), with none of a new counter series' first increment lost.
        _lastRun = factory.CreateGauge("workers_canary_last_run_timestamp_seconds",
            "When this replica's latest canary of the profile ended, by outcome (succeeded, failed), in unix seconds.",
            ["profile", "outcome"]);
    }

    /// <summary>A canary that ran (or ended at its claim): its outcome and, when it succeeded, its segments.</summary>
    public void Record(TurnResult result, string? cliVersion, DateTimeOffset endedAt)
    {
        var skipped = result.Reason == FailureReasons.NoReadyProcess;
        var outcome = skipped ? Skipped : result.Status.ToString().ToLowerInvariant();
        var reason = result.Status == TurnStatus.Succeeded ? "" : FailureReasons.Bounded(result.Reason);
        _runs.WithLabels(result.Profile, outcome, reason, cliVersion ?? "unknown").Inc();
        if (result.Status is TurnStatus.Succeeded || (result.Status is TurnStatus.Failed && !skipped))
        {
            _lastRun.WithLabels(result.Profile, outcome).Set(endedAt.ToUnixTimeMilliseconds() / 1000d);
        }

        if (result.Status != TurnStatus.Succeeded)
        {
            return;
        }

        var timing = result.Timing;
        TimeSpan?[] values = [timing.CliReady, timing.SessionInit, timing.ModelFirstToken, timing.Remainder, timing.TimeToFirstToken];
        for (var i = 0; i < Segments.Length; i++)
        {
            if (values[i] is { } value)
            {
                _preFirstToken.WithLabels(result.Profile, Segments[i]).Observe(value.TotalSeconds);
            }
        }
    }

    /// <summary>A canary not enqueued at its schedule time, and why.</summary>
    public void RecordSkipped(string profile, string reason, string? cliVersion) =>
        _runs.WithLabels(profile, Skipped, reason, cliVersion ?? "unknown").Inc();
}
