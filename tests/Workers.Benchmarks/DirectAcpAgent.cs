using System.Text.Json;

namespace Workers.Benchmarks;

/// <summary>The floor on an ACP agent: <c>initialize</c>, <c>session/new</c>, then <c>session/prompt</c> per turn; the
/// first token is the first non-empty <c>agent_message_chunk</c>, the end the prompt's answer.</summary>
internal sealed class DirectAcpAgent(string command, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    : DirectAgent(command, ["acp"], environment, workingDirectory)
{
    private int _nextId;
    private int _promptId;
    private string _sessionId = "";

    public override async Task OpenSessionAsync(CancellationToken cancellationToken)
    {
        await RequestAsync("initialize", new { protocolVersion = 1, clientCapabilities = new { } }, cancellationToken);
        var session = await RequestAsync("session/new", new { cwd = WorkingDirectory, mcpServers = Array.Empty<object>() }, cancellationToken);
        _sessionId = session.GetProperty("result").GetProperty("sessionId").GetString()!;
    }

    protected override string PromptLine(string text)
    {
        _promptId = ++_nextId;
        return Request(_promptId, "session/prompt", new { sessionId = _sessionId, prompt = new[] { new { type = "text", text } } });
    }

    protected override bool IsFirstToken(JsonElement message) =>
        message.TryGetProperty("params", out var parameters) && parameters.TryGetProperty("update", out var update)
        && update.GetProperty("sessionUpdate").GetString() == "agent_message_chunk"
        && update.GetProperty("content").TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 };

    protected override bool IsTurnEnd(JsonElement message) => IsAnswerTo(message, _promptId);

    private async Task<JsonElement> RequestAsync(string method, object parameters, CancellationToken cancellationToken)
    {
        var id = ++_nextId;
        await WriteAsync(Request(id, method, parameters));
        return await ReadUntilAsync(message => IsAnswerTo(message, id), cancellationToken);
    }

    private static string Request(int id, string method, object parameters) =>
        JsonSerializer.Serialize(new { jsonrpc = "2.0", id, method, @params = parameters });

    private static bool IsAnswerTo(JsonElement message, int id) =>
        !message.TryGetProperty("method", out _) && message.TryGetProperty("id", out var answered)
        && answered.ValueKind == JsonValueKind.Number && answered.GetInt32() == id;
}
