using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// The stdout lines of Claude Code's <c>-p --output-format stream-json --verbose</c>, shaped as the real CLI writes them.
/// Over the usual size: one builder per message type of the protocol, kept together so the shapes can be read side by side.
/// </summary>
internal static class ClaudeMessages
{
    public const string Version = "2.1.197-sim";

    private static readonly string[] Tools = ["Task", "Bash", "Glob", "Grep", "Read", "Edit", "Write", "WebFetch", "TodoWrite"];

    public static string NewUuid() => Guid.NewGuid().ToString();

    public static string NewMessageId() => "msg_sim_" + Guid.NewGuid().ToString("N")[..24];

    public static JsonObject Init(string sessionId, string cwd, string model) => new()
    {
        ["type"] = "system",
        ["subtype"] = "init",
        ["session_id"] = sessionId,
        ["uuid"] = NewUuid(),
        ["cwd"] = cwd,
        ["model"] = model,
        ["tools"] = new JsonArray([.. Tools.Select(t => (JsonNode)t)]),
        ["mcp_servers"] = new JsonArray(),
        ["permissionMode"] = "default",
        ["apiKeySource"] = "none",
        ["claude_code_version"] = Version,
    };

    public static JsonObject Status(string sessionId) => new()
    {
        ["type"] = "system",
        ["subtype"] = "status",
        ["status"] = "requesting",
        ["session_id"] = sessionId,
        ["uuid"] = NewUuid(),
    };

    public static JsonObject ApiRetry(string sessionId, int attempt, double delayMs) => new()
    {
        ["type"] = "system",
        ["subtype"] = "api_retry",
        ["attempt"] = attempt,
        ["max_retries"] = 10,
        ["retry_delay_ms"] = Math.Round(delayMs),
        ["error_status"] = 500,
        ["error"] = "server_error",
        ["session_id"] = sessionId,
        ["uuid"] = NewUuid(),
    };

    /// <summary>A <c>stream_event</c> line (only with <c>--include-partial-messages</c>) wrapping one raw Messages API event.</summary>
    public static JsonObject StreamEvent(string sessionId, JsonObject apiEvent) => new()
    {
        ["type"] = "stream_event",
        ["uuid"] = NewUuid(),
        ["session_id"] = sessionId,
        ["parent_tool_use_id"] = null,
        ["event"] = apiEvent,
    };

    public static JsonObject MessageStart(string messageId, string model, ClaudeUsage usage) => new()
    {
        ["type"] = "message_start",
        ["message"] = new JsonObject
        {
            ["id"] = messageId,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = new JsonArray(),
            ["stop_reason"] = null,
            ["stop_sequence"] = null,
            ["usage"] = (usage with { OutputTokens = 1 }).ToJson(),
        },
    };

    public static JsonObject ContentBlockStart(int index, JsonObject block) => new()
    {
        ["type"] = "content_block_start",
        ["index"] = index,
        ["content_block"] = block,
    };

    public static JsonObject TextDelta(int index, string text) => new()
    {
        ["type"] = "content_block_delta",
        ["index"] = index,
        ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = text },
    };

    public static JsonObject InputJsonDelta(int index, string partialJson) => new()
    {
        ["type"] = "content_block_delta",
        ["index"] = index,
        ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = partialJson },
    };

    public static JsonObject ContentBlockStop(int index) => new() { ["type"] = "content_block_stop", ["index"] = index };

    public static JsonObject MessageDelta(string stopReason, int outputTokens) => new()
    {
        ["type"] = "message_delta",
        ["delta"] = new JsonObject { ["stop_reason"] = stopReason, ["stop_sequence"] = null },
        ["usage"] = new JsonObject { ["output_tokens"] = outputTokens },
    };

    public static JsonObject MessageStop() => new() { ["type"] = "message_stop" };

    public static JsonObject TextBlock(string text) => new() { ["type"] = "text", ["text"] = text };

    public static JsonObject ToolUseBlock(string toolUseId, string name, JsonObject input) => new()
    {
        ["type"] = "tool_use",
        ["id"] = toolUseId,
        ["name"] = name,
        ["input"] = input,
    };

    /// <summary>
    /// An <c>assistant</c> line; <paramref name="error"/> marks the synthetic message Claude Code emits for a failed API call.
    /// </summary>
    public static JsonObject Assistant(
        string sessionId, string messageId, string model, JsonObject block, string? stopReason, ClaudeUsage usage, string? error = null)
    {
        var line = new JsonObject
        {
            ["type"] = "assistant",
            ["message"] = new JsonObject
            {
                ["id"] = messageId,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(block),
                ["stop_reason"] = stopReason,
                ["stop_sequence"] = null,
                ["usage"] = usage.ToJson(),
            },
        };
        if (error is not null)
        {
            line["error"] = error;
        }

        line["parent_tool_use_id"] = null;
        line["session_id"] = sessionId;
        line["uuid"] = NewUuid();
        return line;
    }

    public static JsonObject ToolResult(string sessionId, string toolUseId, string content, bool isError) => new()
    {
        ["type"] = "user",
        ["message"] = new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject
            {
                ["tool_use_id"] = toolUseId,
                ["type"] = "tool_result",
                ["content"] = content,
                ["is_error"] = isError,
            }),
        },
        ["parent_tool_use_id"] = null,
        ["session_id"] = sessionId,
        ["uuid"] = NewUuid(),
    };

    public static JsonObject Result(ClaudeResult result)
    {
        var line = new JsonObject
        {
            ["type"] = "result",
            ["subtype"] = result.Subtype,
            ["is_error"] = result.IsError,
            ["duration_ms"] = result.DurationMs,
            ["duration_api_ms"] = result.DurationApiMs,
        };
        if (result.TtftMs is { } ttft)
        {
            line["ttft_ms"] = ttft;
        }

        line["num_turns"] = result.NumTurns;
        if (result.Text is not null)
        {
            line["result"] = result.Text;
        }

        line["stop_reason"] = result.StopReason;
        line["session_id"] = result.SessionId;
        line["total_cost_usd"] = result.Usage.CostUsd;
        line["usage"] = result.Usage.ToJson();
        line["permission_denials"] = result.PermissionDenials;
        if (result.ApiErrorStatus is { } status)
        {
            line["api_error_status"] = status;
        }

        line["terminal_reason"] = result.TerminalReason;
        if (result.Errors is { } errors)
        {
            line["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)e)]);
        }

        line["uuid"] = NewUuid();
        return line;
    }

    public static JsonObject ControlSuccess(string requestId, JsonObject response) => new()
    {
        ["type"] = "control_response",
        ["response"] = new JsonObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = response },
    };

    public static JsonObject ControlError(string requestId, string error) => new()
    {
        ["type"] = "control_response",
        ["response"] = new JsonObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = error },
    };

    public static JsonObject InitializeResponse(string model) => new()
    {
        ["commands"] = new JsonArray(),
        ["output_style"] = "default",
        ["models"] = new JsonArray(new JsonObject
        {
            ["value"] = model,
            ["displayName"] = "Claude Sim 4",
            ["description"] = "Simulated model (sim-agent)",
        }),
    };

    public static JsonObject CanUseTool(string requestId, string toolUseId, string toolName, JsonObject input) => new()
    {
        ["type"] = "control_request",
        ["request_id"] = requestId,
        ["request"] = new JsonObject
        {
            ["subtype"] = "can_use_tool",
            ["tool_name"] = toolName,
            ["input"] = input,
            ["tool_use_id"] = toolUseId,
            ["permission_suggestions"] = new JsonArray(),
        },
    };

    public static JsonObject ControlCancel(string requestId) => new() { ["type"] = "control_cancel_request", ["request_id"] = requestId };
}
