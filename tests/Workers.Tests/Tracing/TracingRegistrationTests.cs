using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Workers.Hosting;

namespace Workers.Tests.Tracing;

/// <summary>The OTLP exporter is there only when the standard variables ask for it (<c>specs/tracing.md</c>).</summary>
public sealed class TracingRegistrationTests
{
    [Theory]
    [InlineData(null, null, false)]
    [InlineData("", null, false)]
    [InlineData("http://127.0.0.1:4318", null, true)]
    [InlineData("http://127.0.0.1:4318", "true", false)]
    [InlineData("http://127.0.0.1:4318", "false", true)]
    public void AddWorkersTracing_RegistersATracerProviderOnlyWithAnOtlpEndpoint(string? endpoint, string? disabled, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TracingServiceCollectionExtensions.EndpointVariable] = endpoint,
            [TracingServiceCollectionExtensions.SdkDisabledVariable] = disabled,
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);

        services.AddWorkersTracing(configuration);

        Assert.Equal(expected, TracingServiceCollectionExtensions.OtlpExportConfigured(configuration));
        using var provider = services.BuildServiceProvider();
        Assert.Equal(expected, provider.GetService<TracerProvider>() is not null);
    }
}
