using System.Text.Json;

namespace Workers.Benchmarks;

/// <summary>The floor on Claude Code's stream-json mode: the <c>initialize</c> control request (its readiness), then one
/// <c>user</c> line per turn; the first token is the first non-empty <c>text_delta</c> stream event, the end the
/// <c>result</c> line.</summary>
internal sealed class DirectClaudeAgent(string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
    string workingDirectory) : DirectAgent(command, args, environment, workingDirectory)
{
    /// <summary>The stream-json mode's arguments, as the benchmark's simulated profiles launch it.</summary>
    public static readonly string[] StreamJsonArgs =
        ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages"];

    /// <summary>Claude opens its session itself at start; the answer to <c>initialize</c> says it reads stdin.</summary>
    public override async Task OpenSessionAsync(CancellationToken cancellationToken)
    {
        await WriteAsync("""{"type":"control_request","request_id":"bench-init","request":{"subtype":"initialize"}}""");
        await ReadUntilAsync(message => message.GetProperty("type").GetString() == "control_response", cancellationToken);
    }

    protected override string PromptLine(string text) =>
        JsonSerializer.Serialize(new { type = "user", message = new { role = "user", content = new[] { new { type = "text", text } } } });

    protected override bool IsFirstToken(JsonElement message) =>
        message.GetProperty("type").GetString() == "stream_event" && message.GetProperty("event") is var streamEvent
        && streamEvent.GetProperty("type").GetString() == "content_block_delta" && streamEvent.GetProperty("delta") is var delta
        && delta.GetProperty("type").GetString() == "text_delta" && delta.GetProperty("text").GetString() is { Length: > 0 };

    protected override bool IsTurnEnd(JsonElement message) => message.GetProperty("type").GetString() == "result";
}
