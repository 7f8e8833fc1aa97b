using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Workers.ModelStub;

/// <summary>Gemini <c>POST /v1beta/models/{model}:streamGenerateContent?alt=sse</c> (SSE of
/// <c>GenerateContentResponse</c> chunks, the last with <c>finishReason</c> and <c>usageMetadata</c>) and
/// <c>:generateContent</c> (one such object). A tool call is a <c>functionCall</c> part.</summary>
internal static class GeminiApi
{
    public static string LastUserText(JsonElement body)
    {
        if (!body.TryGetProperty("contents", out var contents) || contents.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var last = contents.EnumerateArray().LastOrDefault();
        if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var list = parts.EnumerateArray().ToList();
        if (list.Any(p => p.TryGetProperty("functionResponse", out _)) || (last.TryGetProperty("role", out var role) && role.GetString() != "user"))
        {
            return "";
        }

        return string.Join("\n", list.Where(p => p.TryGetProperty("text", out _)).Select(p => p.GetProperty("text").GetString()));
    }

    public static async Task AnswerAsync(HttpContext context, JsonElement body, string path, StubDirectives directives, int status, TimeProvider time)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        if (status != 200)
        {
            response.StatusCode = status;
            response.ContentType = "application/json";
            var statusName = status switch
            {
                400 => "INVALID_ARGUMENT",
                401 => "UNAUTHENTICATED",
                403 => "PERMISSION_DENIED",
                429 => "RESOURCE_EXHAUSTED",
                503 => "UNAVAILABLE",
                _ => "INTERNAL",
            };
            await response.WriteAsync(JsonSerializer.Serialize(new { error = new { code = status, message = StubErrors.Message("gemini", status), status = statusName } }),
                cancellationToken);
            return;
        }

        var model = path.Split('/').Last().Split(':')[0];
        var inputTokens = ModelStubServer.EstimateTokens(body.GetRawText());
        var tool = directives.ToolName is { } name && OffersTool(body, name) ? name : null;
        var words = directives.Words("Stub answer:").ToList();
        var responseId = $"stub-{Guid.NewGuid():N}";
        await Task.Delay(directives.FirstTokenDelay, time, cancellationToken);
        var usage = new { promptTokenCount = inputTokens, candidatesTokenCount = words.Count, totalTokenCount = inputTokens + words.Count };
        if (!path.EndsWith(":streamGenerateContent", StringComparison.Ordinal))
        {
            response.ContentType = "application/json";
            object[] allParts = tool is null ? [new { text = string.Concat(words) }] : [new { functionCall = new { name = tool, args = directives.ToolInput } }];
            await response.WriteAsync(JsonSerializer.Serialize(Chunk(allParts, "STOP", usage)), cancellationToken);
            return;
        }

        ModelStubServer.StartSse(response);
        if (tool is not null)
        {
            await Send(Chunk([new { functionCall = new { name = tool, args = directives.ToolInput } }], "STOP", usage));
            return;
        }

        for (var i = 0; i < words.Count; i++)
        {
            if (i > 0)
            {
                await Task.Delay(directives.TokenInterval, time, cancellationToken);
            }

            var last = i == words.Count - 1;
            await Send(Chunk([new { text = words[i] }], last ? "STOP" : null, last ? usage : null));
        }

        object Chunk(object[] parts, string? finishReason, object? usageMetadata)
        {
            var candidate = new Dictionary<string, object?> { ["content"] = new { parts, role = "model" }, ["index"] = 0 };
            if (finishReason is not null)
            {
                candidate["finishReason"] = finishReason;
            }

            var chunk = new Dictionary<string, object?> { ["candidates"] = new[] { candidate }, ["modelVersion"] = model, ["responseId"] = responseId };
            if (usageMetadata is not null)
            {
                chunk["usageMetadata"] = usageMetadata;
            }

            return chunk;
        }

        Task Send(object chunk) => ModelStubServer.WriteEventAsync(response, null, chunk, cancellationToken);
    }

    private static bool OffersTool(JsonElement body, string name) =>
        body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
        && tools.EnumerateArray().Any(t => t.TryGetProperty("functionDeclarations", out var declarations)
            && declarations.EnumerateArray().Any(d => d.TryGetProperty("name", out var n) && n.GetString() == name));
}
