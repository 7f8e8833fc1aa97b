using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Workers.ModelStub;

/// <summary>OpenAI Responses (<c>POST /v1/responses</c>, <c>stream: true</c>) as codex reads it: <c>response.created</c>,
/// <c>response.output_item.added</c>, <c>response.content_part.added</c>, <c>response.output_text.delta</c>…,
/// <c>response.output_text.done</c>, <c>response.content_part.done</c>, <c>response.output_item.done</c> and
/// <c>response.completed</c> with usage (codex fails a stream that ends without it). A tool call is a
/// <c>function_call</c> item.</summary>
internal static class OpenAiResponsesApi
{
    public static string LastUserText(JsonElement body)
    {
        if (!body.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var items = input.EnumerateArray().ToList();
        if (items.Count > 0 && items[^1].TryGetProperty("type", out var lastType) && lastType.GetString()?.EndsWith("_output", StringComparison.Ordinal) == true)
        {
            return "";
        }

        var last = items.LastOrDefault(i => i.TryGetProperty("role", out var r) && r.GetString() == "user");
        if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("content", out var content))
        {
            return "";
        }

        return content.ValueKind == JsonValueKind.String
            ? content.GetString() ?? ""
            : string.Join("\n", content.EnumerateArray().Where(c => c.TryGetProperty("text", out _)).Select(c => c.GetProperty("text").GetString()));
    }

    public static async Task AnswerAsync(HttpContext context, JsonElement body, StubDirectives directives, int status, TimeProvider time)
    {
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        if (status != 200)
        {
            response.StatusCode = status;
            response.ContentType = "application/json";
            var type = status switch
            {
                401 => "invalid_request_error",
                429 => "rate_limit_exceeded",
                >= 500 => "server_error",
                _ => "invalid_request_error",
            };
            await response.WriteAsync(JsonSerializer.Serialize(new
            {
                error = new { message = StubErrors.Message("openai", status), type, param = (string?)null, code = status == 401 ? "invalid_api_key" : null },
            }), cancellationToken);
            return;
        }

        var model = body.TryGetProperty("model", out var m) ? m.GetString() ?? "gpt-stub" : "gpt-stub";
        var responseId = $"resp_stub_{Guid.NewGuid():N}";
        var inputTokens = ModelStubServer.EstimateTokens(body.GetRawText());
        var tool = directives.ToolName is { } name && OffersTool(body, name) ? name : null;
        var words = directives.Words("Stub answer:").ToList();
        var sequence = 0;
        await Task.Delay(directives.FirstTokenDelay, time, cancellationToken);
        ModelStubServer.StartSse(response);
        await Send("response.created", new Dictionary<string, object?>
        {
            ["response"] = new { id = responseId, @object = "response", created_at = time.GetUtcNow().ToUnixTimeSeconds(), status = "in_progress", model, output = Array.Empty<object>() },
        });

        object item;
        if (tool is null)
        {
            var itemId = $"msg_stub_{Guid.NewGuid():N}";
            await Send("response.output_item.added", new Dictionary<string, object?>
            {
                ["output_index"] = 0,
                ["item"] = new { id = itemId, type = "message", status = "in_progress", role = "assistant", content = Array.Empty<object>() },
            });
            await Send("response.content_part.added", new Dictionary<string, object?>
            {
                ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0,
                ["part"] = new { type = "output_text", text = "", annotations = Array.Empty<object>() },
            });
            for (var i = 0; i < words.Count; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(directives.TokenInterval, time, cancellationToken);
                }

                await Send("response.output_text.delta", new Dictionary<string, object?>
                {
                    ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["delta"] = words[i],
                });
            }

            var text = string.Concat(words);
            await Send("response.output_text.done", new Dictionary<string, object?>
            {
                ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["text"] = text,
            });
            var part = new { type = "output_text", text, annotations = Array.Empty<object>() };
            await Send("response.content_part.done", new Dictionary<string, object?>
            {
                ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0, ["part"] = part,
            });
            item = new { id = itemId, type = "message", status = "completed", role = "assistant", content = new[] { part } };
        }
        else
        {
            var itemId = $"fc_stub_{Guid.NewGuid():N}";
            var callId = $"call_stub_{Guid.NewGuid():N}";
            var arguments = directives.ToolInput?.GetRawText() ?? "{}";
            await Send("response.output_item.added", new Dictionary<string, object?>
            {
                ["output_index"] = 0,
                ["item"] = new { id = itemId, type = "function_call", status = "in_progress", call_id = callId, name = tool, arguments = "" },
            });
            await Send("response.function_call_arguments.delta", new Dictionary<string, object?>
            {
                ["item_id"] = itemId, ["output_index"] = 0, ["delta"] = arguments,
            });
            await Send("response.function_call_arguments.done", new Dictionary<string, object?>
            {
                ["item_id"] = itemId, ["output_index"] = 0, ["arguments"] = arguments,
            });
            item = new { id = itemId, type = "function_call", status = "completed", call_id = callId, name = tool, arguments };
        }

        await Send("response.output_item.done", new Dictionary<string, object?> { ["output_index"] = 0, ["item"] = item });
        await Send("response.completed", new Dictionary<string, object?>
        {
            ["response"] = new
            {
                id = responseId, @object = "response", created_at = time.GetUtcNow().ToUnixTimeSeconds(), status = "completed", model,
                output = new[] { item },
                usage = new
                {
                    input_tokens = inputTokens,
                    input_tokens_details = new { cached_tokens = 0 },
                    output_tokens = words.Count,
                    output_tokens_details = new { reasoning_tokens = 0 },
                    total_tokens = inputTokens + words.Count,
                },
            },
        });

        Task Send(string type, Dictionary<string, object?> data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            return ModelStubServer.WriteEventAsync(response, type, data, cancellationToken);
        }
    }

    private static bool OffersTool(JsonElement body, string name) =>
        body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
        && tools.EnumerateArray().Any(t => t.TryGetProperty("name", out var n) && n.GetString() == name);
}
