using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Workers.ModelStub;

/// <summary>Anthropic Messages (<c>POST /v1/messages</c>, also <c>?beta=true</c>): an SSE stream of
/// <c>message_start</c>, <c>content_block_start</c>, <c>content_block_delta</c> (<c>text_delta</c> or
/// <c>input_json_delta</c>), <c>content_block_stop</c>, <c>message_delta</c>, <c>message_stop</c>; a plain JSON message
/// when <c>stream</c> is not true.</summary>
internal static class AnthropicApi
{
    public static string LastUserText(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var last = messages.EnumerateArray().LastOrDefault(m => m.TryGetProperty("role", out var r) && r.GetString() == "user");
        if (last.ValueKind != JsonValueKind.Object || !last.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString() ?? "";
        }

        // A tool result answers our own tool call: no directive applies any more.
        var blocks = content.EnumerateArray().ToList();
        if (blocks.Any(b => b.TryGetProperty("type", out var t) && t.GetString() == "tool_result"))
        {
            return "";
        }

        return string.Join("\n", blocks.Where(b => b.TryGetProperty("type", out var t) && t.GetString() == "text")
            .Select(b => b.GetProperty("text").GetString()));
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
                401 => "authentication_error",
                403 => "permission_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                >= 500 => "api_error",
                _ => "invalid_request_error",
            };
            await response.WriteAsync(JsonSerializer.Serialize(new { type = "error", error = new { type, message = StubErrors.Message("anthropic", status) } }),
                cancellationToken);
            return;
        }

        var model = body.TryGetProperty("model", out var m) ? m.GetString() ?? "claude-stub" : "claude-stub";
        var inputTokens = ModelStubServer.EstimateTokens(body.GetRawText());
        var tool = directives.ToolName is { } name && OffersTool(body, name) ? name : null;
        var id = $"msg_stub_{Guid.NewGuid():N}";
        var words = directives.Words("Stub answer:").ToList();
        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        await Task.Delay(directives.FirstTokenDelay, time, cancellationToken);
        if (!stream)
        {
            response.ContentType = "application/json";
            object block = tool is null
                ? new { type = "text", text = string.Concat(words) }
                : new { type = "tool_use", id = $"toolu_stub_{Guid.NewGuid():N}", name = tool, input = directives.ToolInput };
            await response.WriteAsync(JsonSerializer.Serialize(new
            {
                id,
                type = "message",
                role = "assistant",
                model,
                content = new[] { block },
                stop_reason = tool is null ? "end_turn" : "tool_use",
                stop_sequence = (string?)null,
                usage = Usage(inputTokens, words.Count),
            }), cancellationToken);
            return;
        }

        ModelStubServer.StartSse(response);
        await Send("message_start", new
        {
            type = "message_start",
            message = new
            {
                id, type = "message", role = "assistant", model, content = Array.Empty<object>(), stop_reason = (string?)null,
                stop_sequence = (string?)null, usage = Usage(inputTokens, 1),
            },
        });
        if (tool is null)
        {
            await Send("content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } });
            for (var i = 0; i < words.Count; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(directives.TokenInterval, time, cancellationToken);
                }

                await Send("content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text = words[i] } });
            }
        }
        else
        {
            await Send("content_block_start", new
            {
                type = "content_block_start", index = 0,
                content_block = new { type = "tool_use", id = $"toolu_stub_{Guid.NewGuid():N}", name = tool, input = new { } },
            });
            await Send("content_block_delta", new
            {
                type = "content_block_delta", index = 0,
                delta = new { type = "input_json_delta", partial_json = directives.ToolInput?.GetRawText() ?? "{}" },
            });
        }

        await Send("content_block_stop", new { type = "content_block_stop", index = 0 });
        await Send("message_delta", new
        {
            type = "message_delta",
            delta = new { stop_reason = tool is null ? "end_turn" : "tool_use", stop_sequence = (string?)null },
            usage = new { output_tokens = words.Count },
        });
        await Send("message_stop", new { type = "message_stop" });

        Task Send(string name, object data) => ModelStubServer.WriteEventAsync(response, name, data, cancellationToken);
    }

    private static object Usage(int input, int output) => new
    {
        input_tokens = input,
        output_tokens = output,
        cache_creation_input_tokens = 0,
        cache_read_input_tokens = 0,
    };

    private static bool OffersTool(JsonElement body, string name) =>
        body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array
        && tools.EnumerateArray().Any(t => t.TryGetProperty("name", out var n) && n.GetString() == name);
}
