using System.Diagnostics;

namespace Workers.Tracing;

/// <summary>The service's <see cref="ActivitySource"/> and the names of a turn's spans (<c>specs/tracing.md</c>).</summary>
/// <remarks>Without a listener on the source (no OTLP endpoint configured, no test exporter) a turn creates no activity: it
/// costs one <see cref="ActivitySource.HasListeners"/> check and its record carries no trace id.</remarks>
public static class TurnTracing
{
    /// <summary>The service's name: of the source, and of the OpenTelemetry resource unless <c>OTEL_SERVICE_NAME</c> says
    /// otherwise.</summary>
    public const string SourceName = "Workers";

    public const string TurnSpan = "turn";
    public const string QueueWaitSpan = "queue_wait";
    public const string LeaseSpan = "lease";
    public const string CliReadySpan = "cli_ready";
    public const string SessionInitSpan = "session_init";
    public const string RemainderSpan = "remainder";
    public const string ModelFirstTokenSpan = "model_first_token";
    public const string StreamSpan = "stream";

    public static readonly ActivitySource Source = new(SourceName, typeof(TurnTracing).Assembly.GetName().Version?.ToString());
}
