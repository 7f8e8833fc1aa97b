using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Workers.ModelStub;

/// <summary>A local stand-in for the streaming model APIs the agent CLIs call, on 127.0.0.1: Anthropic Messages
/// (SSE), OpenAI Responses (SSE) and Gemini <c>streamGenerateContent</c> (SSE), with a configurable first-token delay,
/// token count and inter-token delay, forced errors, and a log of every request it received.</summary>
public sealed class ModelStubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<StubRequest> _requests = [];
    private readonly Queue<int> _forcedStatuses = new();

    private ModelStubServer(WebApplication app, StubOptions options)
    {
        _app = app;
        Options = options;
    }

    public StubOptions Options { get; }

    /// <summary>The stub's base address, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string Url { get; private set; } = "";

    public TimeProvider TimeProvider { get; } = TimeProvider.System;

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<StubRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The model requests (not warm-ups, token counts or model lists) received so far.</summary>
    public IReadOnlyList<StubRequest> ModelRequests => [.. Requests.Where(r => r.Api != "other")];

    /// <summary>Answers the next <paramref name="count"/> model requests with <paramref name="status"/>.</summary>
    public void FailNext(int status, int count = 1)
    {
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                _forcedStatuses.Enqueue(status);
            }
        }
    }

    public void ClearRequests()
    {
        lock (_lock)
        {
            _requests.Clear();
        }
    }

    /// <summary>Starts the stub on 127.0.0.1 (port 0 = any free port).</summary>
    public static async Task<ModelStubServer> StartAsync(StubOptions? options = null, int port = 0, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        var app = builder.Build();
        var stub = new ModelStubServer(app, options ?? new StubOptions());
        app.Run(stub.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.Url = address.TrimEnd('/');
        return stub;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var path = request.Path.Value ?? "/";
        var api = path switch
        {
            _ when request.Method == "POST" && path.EndsWith("/messages", StringComparison.Ordinal) => "anthropic",
            _ when request.Method == "POST" && path.EndsWith("/responses", StringComparison.Ordinal) => "openai",
            _ when request.Method == "POST" && (path.EndsWith(":streamGenerateContent", StringComparison.Ordinal)
                || path.EndsWith(":generateContent", StringComparison.Ordinal)) => "gemini",
            _ => "other",
        };

        JsonElement json = default;
        if (body.Length > 0 && api != "other")
        {
            try
            {
                json = JsonDocument.Parse(body).RootElement.Clone();
            }
            catch (JsonException)
            {
                api = "other";
            }
        }

        var lastUserText = api switch
        {
            "anthropic" => AnthropicApi.LastUserText(json),
            "openai" => OpenAiResponsesApi.LastUserText(json),
            "gemini" => GeminiApi.LastUserText(json),
            _ => "",
        };
        var directives = StubDirectives.Parse(lastUserText, Options);
        var status = api == "other" ? OtherStatus(request.Method, path) : directives.Status ?? TakeForcedStatus() ?? 200;
        lock (_lock)
        {
            _requests.Add(new StubRequest(TimeProvider.GetUtcNow(), request.Method, path, request.QueryString.Value ?? "", body, api, status,
                lastUserText));
        }

        try
        {
            switch (api)
            {
                case "anthropic":
                    await AnthropicApi.AnswerAsync(context, json, directives, status, TimeProvider);
                    break;
                case "openai":
                    await OpenAiResponsesApi.AnswerAsync(context, json, directives, status, TimeProvider);
                    break;
                case "gemini":
                    await GeminiApi.AnswerAsync(context, json, path, directives, status, TimeProvider);
                    break;
                default:
                    await AnswerOtherAsync(context, path, json, status);
                    break;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The CLI hung up mid-stream (a cancelled turn): nothing more to send.
        }
        catch (IOException)
        {
            // Same, seen as a broken connection.
        }
    }

    private int? TakeForcedStatus()
    {
        lock (_lock)
        {
            return _forcedStatuses.TryDequeue(out var status) ? status : null;
        }
    }

    private static int OtherStatus(string method, string path) => method switch
    {
        "HEAD" or "GET" => 200,
        "POST" when path.EndsWith("/count_tokens", StringComparison.Ordinal) || path.EndsWith(":countTokens", StringComparison.Ordinal) => 200,
        _ => 404,
    };

    private static async Task AnswerOtherAsync(HttpContext context, string path, JsonElement json, int status)
    {
        context.Response.StatusCode = status;
        if (context.Request.Method == "HEAD")
        {
            return;
        }

        context.Response.ContentType = "application/json";
        var answer = path switch
        {
            _ when path.EndsWith("/count_tokens", StringComparison.Ordinal) => "{\"input_tokens\":100}",
            _ when path.EndsWith(":countTokens", StringComparison.Ordinal) => "{\"totalTokens\":100}",
            _ when path.EndsWith("/models", StringComparison.Ordinal) => "{\"object\":\"list\",\"data\":[],\"models\":[]}",
            _ when status == 404 => "{\"error\":{\"message\":\"not served by the model stub\"}}",
            _ => "{}",
        };
        await context.Response.WriteAsync(answer, context.RequestAborted);
    }

    /// <summary>Writes one Server-Sent Event and flushes it.</summary>
    internal static async Task WriteEventAsync(HttpResponse response, string? eventName, object data, CancellationToken cancellationToken)
    {
        var text = (eventName is null ? "" : $"event: {eventName}\n") + $"data: {JsonSerializer.Serialize(data)}\n\n";
        await response.WriteAsync(text, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    internal static void StartSse(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
    }

    internal static int EstimateTokens(string text) => Math.Max(1, text.Length / 4);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
