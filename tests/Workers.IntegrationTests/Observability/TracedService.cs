using OpenTelemetry.Trace;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Observability;

/// <summary>The whole service with tracing on, as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> turns it on, pointed at a loopback OTLP collector,
/// and an in-memory exporter beside the OTLP one; one cold simulated Claude profile, <see cref="Profile"/>.</summary>
internal sealed class TracedService : IAsyncDisposable
{
    public const string Profile = "trace-sim-claude";

    private TracedService(OtlpReceiver otlp, SimHarness sim, ServiceHarness service, ExportedSpans spans) =>
        (Otlp, Sim, Service, Spans) = (otlp, sim, service, spans);

    public OtlpReceiver Otlp { get; }

    public SimHarness Sim { get; }

    public ServiceHarness Service { get; }

    /// <summary>Every span the in-memory exporter got, of this service's turns and of any other traced in this process meanwhile.</summary>
    public ExportedSpans Spans { get; }

    public static async Task<TracedService> StartAsync()
    {
        var otlp = await OtlpReceiver.StartAsync();
        var sim = new SimHarness();
        // Cold (no pool process before the turn): the turn pays cli_ready and session_init, so every segment is there.
        sim.AddProfile(SimFamily.Claude, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "40", ["SIM_SESSION_NEW_MS"] = "30" },
            name: Profile, configure: p => p.Pool.MinReady = 0);
        var spans = new ExportedSpans();
        var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "50",
        }, customize: builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        return new TracedService(otlp, sim, service, spans);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Sim.DisposeAsync();
        await Otlp.DisposeAsync();
    }
}
