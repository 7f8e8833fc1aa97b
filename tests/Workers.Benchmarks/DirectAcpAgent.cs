using System.Text.Json;

namespace Workers.Benchmarks;

/// <summary>The floor on an ACP agent: <c>initialize</c>, <c>session/new</c>, then <c>session/prompt</c> per turn; the
/// first token is the first non-empty <c>agent_message_chunk</c>, the end the prompt's answer.</summary>
internal sealed class DirectAcpAgent(string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
    string workingDirectory) : DirectAgent(command, args, environment, workingDirectory)
{
    private int _nextId;
    private int _promptId;
    private string _sessionId = "";

    /// <summary>What <c>initialize</c> offers; none by default (the simulated agent). A real CLI's floor offers what Workers
    /// does, so that the agent sets up the same session (its tools depend on it).</summary>
    public object ClientCapabilities { get; set; } = new { };

    public override async Task OpenSessionAsync(CancellationToken cancellationToken)
    {
        await RequestAsync("initialize", new { protocolVersion = 1, clientCapabilities = ClientCapabilities }, cancellationToken);
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
