using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The JSONL events of <c>codex exec --json</c>.</summary>
internal static class CodexEvents
{
    public static JsonObject ThreadStarted(string threadId) => new() { ["type"] = "thread.started", ["thread_id"] = threadId };

    public static JsonObject TurnStarted() => new() { ["type"] = "turn.started" };

    public static JsonObject ItemStarted(JsonObject item) => new() { ["type"] = "item.started", ["item"] = item };

    public static JsonObject ItemCompleted(JsonObject item) => new() { ["type"] = "item.completed", ["item"] = item };

    public static JsonObject AgentMessage(string id, string text) => new() { ["id"] = id, ["type"] = "agent_message", ["text"] = text };

    public static JsonObject Reasoning(string id, string text) => new() { ["id"] = id, ["type"] = "reasoning", ["text"] = text };

    public static JsonObject CommandExecution(string id, string command, string status) => new()
    {
        ["id"] = id,
        ["type"] = "command_execution",
        ["command"] = command,
        ["aggregated_output"] = string.Empty,
        ["exit_code"] = null,
        ["status"] = status,
    };

    public static JsonObject TurnCompleted(int inputTokens, int cachedInputTokens, int outputTokens) => new()
    {
        ["type"] = "turn.completed",
        ["usage"] = new JsonObject
        {
            ["input_tokens"] = inputTokens,
            ["cached_input_tokens"] = cachedInputTokens,
            ["output_tokens"] = outputTokens,
        },
    };

    public static JsonObject Error(string message) => new() { ["type"] = "error", ["message"] = message };

    public static JsonObject TurnFailed(string message) => new()
    {
        ["type"] = "turn.failed",
        ["error"] = new JsonObject { ["message"] = message },
    };
}
