using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Workers.IntegrationTests.Observability;

/// <summary>A minimal OTLP/HTTP collector on 127.0.0.1: keeps the protobuf body of every <c>POST /v1/traces</c> and answers an
/// empty (valid) export response. Enough to see that the service's exporter sends a trace where
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> points.</summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _exports = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint => _app.Urls.First();

    /// <summary>True once an export carried <paramref name="traceIdHex"/> (a span's trace id is its 16 raw bytes in protobuf).</summary>
    public bool Received(string traceIdHex)
    {
        var traceId = Convert.FromHexString(traceIdHex);
        return _exports.Any(body => body.AsSpan().IndexOf(traceId) >= 0);
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver._exports.Enqueue(body.ToArray());
            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
