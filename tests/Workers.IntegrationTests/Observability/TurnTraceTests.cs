using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Workers.IntegrationTests.Support;
using Workers.Tracing;

namespace Workers.IntegrationTests.Observability;

/// <summary>One trace per turn (<c>specs/tracing.md</c>): turns through the whole service (HTTP API, store, dispatcher, the real pool,
/// the simulated agent) with the OTLP exporter on, pointed at a loopback collector, and an in-memory exporter beside it.</summary>
/// <remarks>The activity source is process-wide, so the exporter also sees turns of other tests running meanwhile: spans are picked
/// by the trace id the record carries.</remarks>
public sealed class TurnTraceTests
{
    private const string Profile = TracedService.Profile;

    /// <summary>Record segment (its JSON name) → the span laid for it.</summary>
    private static readonly Dictionary<string, string> SegmentSpans = new()
    {
        ["queue_wait"] = TurnTracing.QueueWaitSpan,
        ["lease_wait"] = TurnTracing.LeaseSpan,
        ["cli_ready"] = TurnTracing.CliReadySpan,
        ["session_init"] = TurnTracing.SessionInitSpan,
        ["remainder"] = TurnTracing.RemainderSpan,
        ["model_first_token"] = TurnTracing.ModelFirstTokenSpan,
    };

    [Fact(Timeout = 60_000)]
    public async Task ColdTurn_HasOneTraceWhoseSpansMatchTheRecordsTiming_AndIsExportedOverOtlp()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var traced = await TracedService.StartAsync();
        var (otlp, spans, service) = (traced.Otlp, traced.Spans, traced.Service);

        var record = await RunTurnAsync(service, "trace-cold", "hello", "succeeded", cancellationToken);
        var traceId = record.GetProperty("traceId").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        var trace = await TraceAsync(spans, traceId);

        var root = Assert.Single(trace, s => s.DisplayName == TurnTracing.TurnSpan);
        Assert.Equal(default, root.ParentSpanId);
        Assert.All(trace.Where(s => s != root), s => Assert.Equal(root.SpanId, s.ParentSpanId));
        Assert.Equal(ActivityStatusCode.Unset, root.Status);
        Assert.Equal(record.GetProperty("id").GetString(), root.GetTagItem(TurnAttributes.TurnId));
        Assert.Equal("trace-cold", root.GetTagItem(TurnAttributes.ConversationId));
        Assert.Equal(Profile, root.GetTagItem(TurnAttributes.Profile));
        Assert.Equal("claude-stream-json", root.GetTagItem(TurnAttributes.Family));
        Assert.Equal(1, root.GetTagItem(TurnAttributes.Attempt));
        Assert.Equal("cold", root.GetTagItem(TurnAttributes.Process));
        Assert.Equal("new", root.GetTagItem(TurnAttributes.Session));
        Assert.Equal("no_ready_process", root.GetTagItem(TurnAttributes.FallbackReason));
        Assert.Equal("succeeded", root.GetTagItem(TurnAttributes.Outcome));
        Assert.Equal("cold", Assert.Single(trace, s => s.DisplayName == TurnTracing.LeaseSpan).GetTagItem(TurnAttributes.Process));

        var timing = record.GetProperty("timing");
        // A cold Claude turn observes every marker: each segment of the record has its span, lasting what the record says.
        foreach (var (segment, name) in SegmentSpans)
        {
            var span = Assert.Single(trace, s => s.DisplayName == name);
            AssertLasts(timing.GetProperty(segment).GetDouble(), span, name);
        }

        var stream = Assert.Single(trace, s => s.DisplayName == TurnTracing.StreamSpan);
        var turnDuration = timing.GetProperty("turn_duration").GetDouble();
        AssertLasts(turnDuration - timing.GetProperty("spawn_to_first_token").GetDouble(), stream, "stream");
        var beforeLease = timing.GetProperty("queue_wait").GetDouble() + timing.GetProperty("lease_wait").GetDouble();
        AssertLasts(beforeLease + turnDuration, root, "turn");

        // The segments tile the turn: each starts where the one before ends, from the root's start to its end. (Activity gives a
        // zero-length span 1 tick, 100 ns, since a zero duration means "not ended" to it.)
        var segments = trace.Where(s => s != root).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(SegmentSpans.Count + 1, segments.Count);
        Assert.Equal(root.StartTimeUtc, segments[0].StartTimeUtc);
        for (var i = 1; i < segments.Count; i++)
        {
            var gap = segments[i].StartTimeUtc - (segments[i - 1].StartTimeUtc + segments[i - 1].Duration);
            Assert.True(Math.Abs(gap.Ticks) <= 1, $"{segments[i - 1].DisplayName} ends {gap.Ticks} ticks from {segments[i].DisplayName}");
        }

        Assert.Equal(root.StartTimeUtc + root.Duration, segments[^1].StartTimeUtc + segments[^1].Duration);
        // One trace for the turn: no other root names it.
        Assert.Single(spans.Snapshot(), s => s.DisplayName == TurnTracing.TurnSpan
            && Equals(s.GetTagItem(TurnAttributes.TurnId), root.GetTagItem(TurnAttributes.TurnId)));

        await Poll.UntilAsync(() => otlp.Received(traceId), $"the OTLP collector to receive trace {traceId}");
    }

    [Fact(Timeout = 60_000)]
    public async Task FailedTurn_RootSpanHasErrorStatusAndTheReason()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var traced = await TracedService.StartAsync();
        var (otlp, spans, service) = (traced.Otlp, traced.Spans, traced.Service);

        var record = await RunTurnAsync(service, "trace-failed", "busy [[sim:error:rate-limit]]", "failed", cancellationToken);
        Assert.Equal("rate_limit", record.GetProperty("reason").GetString());
        var trace = await TraceAsync(spans, record.GetProperty("traceId").GetString()!);

        var root = Assert.Single(trace, s => s.DisplayName == TurnTracing.TurnSpan);
        Assert.Equal(ActivityStatusCode.Error, root.Status);
        Assert.Equal("rate_limit", root.StatusDescription);
        Assert.Equal("rate_limit", root.GetTagItem(TurnAttributes.ErrorType));
        Assert.Equal("failed", root.GetTagItem(TurnAttributes.Outcome));
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_InOpenMetricsFormat_CarryTheTurnsTraceIdAsAnExemplar()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var traced = await TracedService.StartAsync();
        var service = traced.Service;
        var record = await RunTurnAsync(service, "trace-exemplar", "hello", "succeeded", cancellationToken);
        var traceId = record.GetProperty("traceId").GetString()!;
        var turnId = record.GetProperty("id").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text; version=1.0.0"));
        using var response = await service.Client.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.StartsWith("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType);
        var exemplar = $" # {{trace_id=\"{traceId}\",turn_id=\"{turnId}\"}} ";
        foreach (var histogram in new[] { "time_to_first_token", "spawn_to_first_token", "cli_ready", "model_first_token" })
        {
            var buckets = body.Split('\n')
                .Where(l => l.StartsWith($"workers_turn_{histogram}_seconds_bucket{{", StringComparison.Ordinal))
                .Where(l => l.Contains($"profile=\"{Profile}\"", StringComparison.Ordinal))
                .ToList();
            Assert.True(buckets.Any(l => l.Contains(exemplar, StringComparison.Ordinal)),
                $"no exemplar {exemplar} on workers_turn_{histogram}_seconds:\n{string.Join('\n', buckets)}");
        }

        // The classic text format (what a scraper gets without asking for OpenMetrics) has no exemplars.
        var plain = await service.Client.GetStringAsync("/metrics", cancellationToken);
        Assert.DoesNotContain(traceId, plain);
    }

    [Fact(Timeout = 60_000)]
    [Trait("Category", "Prometheus")]
    public async Task RealPrometheus_WithExemplarStorage_KeepsTheTurnsTraceIdOnItsBucket()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var traced = await TracedService.StartAsync();
        var service = traced.Service;
        var authority = service.Client.BaseAddress!.Authority;
        await using var prometheus = await PrometheusServer.StartAsync(authority, [], traced.Sim.Marker, cancellationToken);

        var record = await RunTurnAsync(service, "trace-prometheus", "hello", "succeeded", cancellationToken);
        var traceId = record.GetProperty("traceId").GetString()!;

        // Prometheus asks for OpenMetrics first on its own: nothing but the exemplar-storage flag is needed for this.
        var selector = $"workers_turn_time_to_first_token_seconds_bucket{{profile=\"{Profile}\"}}";
        await Poll.UntilAsync(async token => (await prometheus.ExemplarTraceIdsAsync(selector, token)).Contains(traceId),
            $"Prometheus to store an exemplar with trace {traceId}");
    }

    private static async Task<JsonElement> RunTurnAsync(ServiceHarness service, string conversation, string prompt, string status,
        CancellationToken cancellationToken)
    {
        var id = (await service.EnqueueAsync(new { conversationId = conversation, profile = Profile, prompt }, cancellationToken))
            .GetProperty("id").GetString()!;
        var record = await service.WaitForEndAsync(id, cancellationToken);
        Assert.True(record.GetProperty("status").GetString() == status, $"expected {status}: {record}");
        return record;
    }

    /// <summary>The spans of one trace, once its root was exported (the children are exported before it ends).</summary>
    private static async Task<IReadOnlyList<Activity>> TraceAsync(ExportedSpans spans, string traceId)
    {
        await Poll.UntilAsync(() => spans.Snapshot().Any(s => s.TraceId.ToHexString() == traceId && s.DisplayName == TurnTracing.TurnSpan),
            $"the root span of trace {traceId}");
        return spans.Snapshot().Where(s => s.TraceId.ToHexString() == traceId).ToList();
    }

    private static void AssertLasts(double seconds, Activity span, string what)
    {
        var difference = Math.Abs(span.Duration.TotalSeconds - seconds);
        Assert.True(difference < 0.001, string.Create(CultureInfo.InvariantCulture,
            $"{what}: the span lasts {span.Duration.TotalSeconds:0.0000000} s, the record says {seconds:0.0000000} s"));
    }
}
