using System.Text;
using Prometheus;
using Workers.Metrics;
using Workers.Turns;

namespace Workers.Tests.Metrics;

public sealed class WorkerMetricsTests
{
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly WorkerMetrics _metrics;

    public WorkerMetricsTests() => _metrics = new WorkerMetrics(Prometheus.Metrics.WithCustomRegistry(_registry));

    private static TurnResult Result(TurnTiming timing, string session = "live", TurnStatus status = TurnStatus.Succeeded, string? reason = null,
        TokenUsage? usage = null, string? fallback = null) => new()
    {
        TurnId = "t1",
        Profile = "claude",
        Family = "claude-stream-json",
        Status = status,
        Reason = reason,
        Process = "warm",
        Session = session,
        Turn = "continued",
        Usage = usage,
        FallbackReason = fallback,
        Timing = timing,
    };

    private static double Sum(Histogram histogram, params string[] labels) => histogram.WithLabels(labels).Sum;

    private static long Count(Histogram histogram, params string[] labels) => histogram.WithLabels(labels).Count;

    private static readonly string[] Labels = ["claude", "claude-stream-json", "warm", "live", "continued"];

    [Fact]
    public void RecordTurn_ObservesExactlyTheTurnsSegments()
    {
        var timing = new TurnTiming
        {
            QueueWait = TimeSpan.FromMilliseconds(40),
            LeaseWait = TimeSpan.FromMilliseconds(2),
            CliReady = TimeSpan.Zero,
            SessionInit = TimeSpan.FromMilliseconds(4),
            ModelFirstToken = TimeSpan.FromMilliseconds(300),
            Remainder = TimeSpan.FromMilliseconds(1),
            SpawnToFirstToken = TimeSpan.FromMilliseconds(305),
            TimeToFirstToken = TimeSpan.FromMilliseconds(347),
            TurnDuration = TimeSpan.FromMilliseconds(900),
        };

        _metrics.RecordTurn(Result(timing));
        _metrics.RecordTurn(Result(timing));

        Assert.Equal(2, Count(_metrics.CliReady, Labels));
        Assert.Equal(0, Sum(_metrics.CliReady, Labels), 9);
        Assert.Equal(0.008, Sum(_metrics.SessionInit, Labels), 9);
        Assert.Equal(0.6, Sum(_metrics.ModelFirstToken, Labels), 9);
        Assert.Equal(0.002, Sum(_metrics.Remainder, Labels), 9);
        Assert.Equal(0.61, Sum(_metrics.SpawnToFirstToken, Labels), 9);
        Assert.Equal(0.694, Sum(_metrics.TimeToFirstToken, Labels), 9);
        Assert.Equal(0.08, Sum(_metrics.QueueWait, Labels), 9);
        Assert.Equal(1.8, Sum(_metrics.TurnDuration, Labels), 9);
        Assert.Equal(2, _metrics.Turns.WithLabels("claude", "succeeded", "", "").Value);
    }

    [Fact]
    public void RecordTurn_CountsTheFidelityOfEveryTurnWithASession_AndNoneWithout()
    {
        var timing = new TurnTiming { SpawnToFirstToken = TimeSpan.FromMilliseconds(210) };

        _metrics.RecordTurn(Result(timing) with { Fidelity = "live" });
        _metrics.RecordTurn(Result(timing, session: "new") with { Fidelity = "none" });
        var failed = Result(timing, session: "new", status: TurnStatus.Failed, reason: "rate_limit");
        _metrics.RecordTurn(failed with { Fidelity = "transcript" });
        _metrics.RecordTurn(Result(timing, status: TurnStatus.Failed, reason: "lease_timeout") with { Process = null, Session = null });

        Assert.Equal(1, _metrics.Fidelity.WithLabels("claude", "live").Value);
        Assert.Equal(1, _metrics.Fidelity.WithLabels("claude", "none").Value);
        Assert.Equal(1, _metrics.Fidelity.WithLabels("claude", "transcript").Value);
        Assert.Equal(3, _metrics.Fidelity.GetAllLabelValues().Count());
    }

    [Fact]
    public void RecordTurn_NullSegment_IsNotObservedAsZero()
    {
        var timing = new TurnTiming { ModelFirstToken = TimeSpan.FromMilliseconds(200), Remainder = TimeSpan.FromMilliseconds(10),
            SpawnToFirstToken = TimeSpan.FromMilliseconds(210) };

        _metrics.RecordTurn(Result(timing, session: "new"));

        string[] labels = ["claude", "claude-stream-json", "warm", "new", "continued"];
        Assert.Equal(0, Count(_metrics.CliReady, labels));
        Assert.Equal(0, Count(_metrics.SessionInit, labels));
        Assert.Equal(1, Count(_metrics.ModelFirstToken, labels));
    }

    [Fact]
    public void RecordTurn_FailureCountsItsReasonAndWhoseItIs_UnknownReasonsAreUnclassified()
    {
        var timing = new TurnTiming();

        _metrics.RecordTurn(Result(timing, status: TurnStatus.Failed, reason: FailureReasons.RateLimit));
        _metrics.RecordTurn(Result(timing, status: TurnStatus.Failed, reason: FailureReasons.ProcessExitMidStream));
        _metrics.RecordTurn(Result(timing, status: TurnStatus.Failed, reason: "something_new"));

        Assert.Equal(1, _metrics.Turns.WithLabels("claude", "failed", "rate_limit", "provider").Value);
        Assert.Equal(1, _metrics.Turns.WithLabels("claude", "failed", "process_exit_mid_stream", "engineering").Value);
        Assert.Equal(1, _metrics.Turns.WithLabels("claude", "failed", "unclassified", "engineering").Value);
    }

    [Fact]
    public void RecordTurn_CountsCacheTokensAndFallbacks()
    {
        _metrics.RecordTurn(Result(new TurnTiming(), usage: new TokenUsage(3, 40, 1200, 300), fallback: FallbackReasons.StaleSession));
        _metrics.RecordTurn(Result(new TurnTiming(), fallback: "free text from somewhere"));

        Assert.Equal(1200, _metrics.CacheReadTokens.WithLabels("claude").Value);
        Assert.Equal(300, _metrics.CacheCreationTokens.WithLabels("claude").Value);
        Assert.Equal(1, _metrics.Fallbacks.WithLabels("claude", "stale_session").Value);
        Assert.Equal(1, _metrics.Fallbacks.WithLabels("claude", "other").Value);
    }

    [Fact]
    public async Task Exposition_NamesFollowPrometheusConventions()
    {
        _metrics.RecordTurn(Result(new TurnTiming { SpawnToFirstToken = TimeSpan.FromSeconds(1) }));
        using var stream = new MemoryStream();

        await _registry.CollectAndExportAsTextAsync(stream, TestContext.Current.CancellationToken);

        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("workers_turn_spawn_to_first_token_seconds_bucket{profile=\"claude\",family=\"claude-stream-json\",process=\"warm\",session=\"live\",turn=\"continued\",le=\"0.005\"} 0", text,
            StringComparison.Ordinal);
        Assert.Contains("workers_turns_total{", text, StringComparison.Ordinal);
        Assert.Contains("workers_build_info{version=", text, StringComparison.Ordinal);
        Assert.DoesNotContain("turn_id", text, StringComparison.Ordinal);
    }
}
