using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The ACP v1 payloads the simulated agent sends.</summary>
internal static class AcpMessages
{
    public const int ContextWindow = 200_000;

    public static JsonObject InitializeResult(SimSettings settings)
    {
        var sessionCapabilities = new JsonObject { ["list"] = new JsonObject() };
        if (settings.CloseSession)
        {
            sessionCapabilities["close"] = new JsonObject();
        }

        if (settings.ResumeSession)
        {
            sessionCapabilities["resume"] = new JsonObject();
        }

        return new JsonObject
        {
            ["protocolVersion"] = 1,
            ["agentCapabilities"] = new JsonObject
            {
                ["loadSession"] = settings.LoadSession,
                ["promptCapabilities"] = new JsonObject { ["image"] = false, ["audio"] = false, ["embeddedContext"] = true },
                ["mcpCapabilities"] = new JsonObject { ["http"] = false, ["sse"] = false },
                ["sessionCapabilities"] = sessionCapabilities,
            },
            ["agentInfo"] = new JsonObject { ["name"] = "sim-agent", ["title"] = "Simulated agent", ["version"] = "1.0.0" },
            ["authMethods"] = new JsonArray(),
        };
    }

    /// <summary>The answer to <c>session/new</c> (with the new id), <c>session/load</c> and <c>session/resume</c> (without).</summary>
    public static JsonObject SessionResult(string? sessionId, string model)
    {
        var result = new JsonObject
        {
            ["configOptions"] = AcpModelOption.ConfigOptions(model),
            ["modes"] = new JsonObject
            {
                ["currentModeId"] = "default",
                ["availableModes"] = new JsonArray(new JsonObject { ["id"] = "default", ["name"] = "Default" }),
            },
        };
        if (sessionId is not null)
        {
            result["sessionId"] = sessionId;
        }

        return result;
    }

    /// <summary>A whole <c>session/update</c> notification line.</summary>
    public static JsonObject SessionUpdate(string sessionId, JsonObject update) => new()
    {
        ["jsonrpc"] = "2.0",
        ["method"] = "session/update",
        ["params"] = new JsonObject { ["sessionId"] = sessionId, ["update"] = update },
    };

    /// <param name="kind"><c>user_message_chunk</c>, <c>agent_message_chunk</c> or <c>agent_thought_chunk</c>.</param>
    /// <param name="text">The chunk's text.</param>
    public static JsonObject Chunk(string kind, string text) => new()
    {
        ["sessionUpdate"] = kind,
        ["content"] = new JsonObject { ["type"] = "text", ["text"] = text },
    };

    public static JsonObject AvailableCommands() => new()
    {
        ["sessionUpdate"] = "available_commands_update",
        ["availableCommands"] = new JsonArray(
            new JsonObject { ["name"] = "compact", ["description"] = "Summarise the conversation to free context" },
            new JsonObject { ["name"] = "review", ["description"] = "Review the current changes" }),
    };

    public static JsonObject ToolCall(string toolCallId, string path) => new()
    {
        ["sessionUpdate"] = "tool_call",
        ["toolCallId"] = toolCallId,
        ["title"] = "Write sim.txt",
        ["kind"] = "edit",
        ["status"] = "pending",
        ["locations"] = new JsonArray(new JsonObject { ["path"] = path }),
        ["rawInput"] = new JsonObject { ["file_path"] = path, ["content"] = "sim" },
    };

    public static JsonObject ToolCallUpdate(string toolCallId, string status, string text) => new()
    {
        ["sessionUpdate"] = "tool_call_update",
        ["toolCallId"] = toolCallId,
        ["status"] = status,
        ["content"] = new JsonArray(new JsonObject
        {
            ["type"] = "content",
            ["content"] = new JsonObject { ["type"] = "text", ["text"] = text },
        }),
    };

    public static JsonObject UsageUpdate(int used) => new()
    {
        ["sessionUpdate"] = "usage_update",
        ["used"] = used,
        ["size"] = ContextWindow,
    };

    public static JsonObject PermissionRequest(string sessionId, string toolCallId) => new()
    {
        ["sessionId"] = sessionId,
        ["toolCall"] = new JsonObject
        {
            ["toolCallId"] = toolCallId,
            ["title"] = "Write sim.txt",
            ["kind"] = "edit",
            ["status"] = "pending",
        },
        ["options"] = new JsonArray(
            Option("allow-once", "Allow once", "allow_once"),
            Option("allow-always", "Always allow", "allow_always"),
            Option("reject-once", "Reject", "reject_once")),
    };

    public static JsonObject EndTurn(int inputTokens, int outputTokens, int cachedReadTokens, int cachedWriteTokens) => new()
    {
        ["stopReason"] = "end_turn",
        ["usage"] = new JsonObject
        {
            ["totalTokens"] = inputTokens + outputTokens,
            ["inputTokens"] = inputTokens,
            ["outputTokens"] = outputTokens,
            ["cachedReadTokens"] = cachedReadTokens,
            ["cachedWriteTokens"] = cachedWriteTokens,
        },
    };

    public static JsonObject Cancelled() => new() { ["stopReason"] = "cancelled" };

    private static JsonObject Option(string id, string name, string kind) => new() { ["optionId"] = id, ["name"] = name, ["kind"] = kind };
}
