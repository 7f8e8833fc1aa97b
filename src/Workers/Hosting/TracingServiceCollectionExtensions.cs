using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Workers.Tracing;

namespace Workers.Hosting;

/// <summary>Turn traces out through OTLP (<c>specs/tracing.md</c>), configured the OpenTelemetry way: by the standard
/// <c>OTEL_*</c> environment variables, read through the configuration (so an <c>appsettings.json</c> key of the same name
/// works too). Off unless an OTLP endpoint is set: no tracer provider, no listener, so no span is even created.</summary>
public static class TracingServiceCollectionExtensions
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string SdkDisabledVariable = "OTEL_SDK_DISABLED";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    /// <summary>True when the OTLP endpoint is set and the SDK is not disabled. Only the all-signals variable: it is the one the
    /// exporter's <c>AddOtlpExporter</c> is documented to read.</summary>
    public static bool OtlpExportConfigured(IConfiguration configuration) =>
        !string.Equals(configuration[SdkDisabledVariable], "true", StringComparison.OrdinalIgnoreCase)
        && !string.IsNullOrWhiteSpace(configuration[EndpointVariable]);

    public static IServiceCollection AddWorkersTracing(this IServiceCollection services, IConfiguration configuration)
    {
        if (!OtlpExportConfigured(configuration))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service (the SDK reads it); else the source's name does.
                if (string.IsNullOrWhiteSpace(configuration[ServiceNameVariable]))
                {
                    resource.AddService(TurnTracing.SourceName, serviceVersion: typeof(TurnTracing).Assembly.GetName().Version?.ToString());
                }
            })
            // The exporter reads OTEL_EXPORTER_OTLP_{ENDPOINT,PROTOCOL,HEADERS,TIMEOUT} and the batch processor OTEL_BSP_*.
            .WithTracing(tracing => tracing.AddSource(TurnTracing.SourceName).AddOtlpExporter());
        return services;
    }
}
