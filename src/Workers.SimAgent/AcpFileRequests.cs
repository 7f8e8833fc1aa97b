using System.Globalization;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// Makes a prompt's <c>fs/read_text_file</c> / <c>fs/write_text_file</c> requests of the client, one after another, and reports
/// each answer as a line of the reply text, so a test reads what the client let through from the turn's text:
/// <c>fs:read /p =&gt; ok "content"</c>, <c>fs:write /p =&gt; ok</c>, <c>fs:read /p =&gt; error -32602 "message"</c>
/// (content and message JSON-encoded, so a line stays one line).
/// </summary>
internal static class AcpFileRequests
{
    public static async Task RunAsync(IReadOnlyList<FileRequest> requests, AcpConnection connection, string sessionId,
        CancellationToken cancellationToken)
    {
        foreach (var request in requests)
        {
            var parameters = new JsonObject { ["sessionId"] = sessionId, ["path"] = request.Path };
            if (request.Operation == "write")
            {
                parameters["content"] = FileRequest.WrittenContent;
            }

            if (request.Line is { } line)
            {
                parameters["line"] = line;
            }

            if (request.Limit is { } limit)
            {
                parameters["limit"] = limit;
            }

            var reply = await connection.RequestAsync($"fs/{request.Operation}_text_file", parameters, cancellationToken);
            var report = $"fs:{request.Operation} {request.Path} => {Describe(reply)}\n";
            connection.Update(sessionId, AcpMessages.Chunk("agent_message_chunk", report));
        }
    }

    private static string Describe(JsonObject reply)
    {
        if (JsonRead.Object(reply["error"]) is { } error)
        {
            var code = error["code"] is JsonValue value && value.TryGetValue<int>(out var number) ? number : 0;
            return $"error {code.ToString(CultureInfo.InvariantCulture)} {Quoted(JsonRead.String(error["message"]) ?? "")}";
        }

        return JsonRead.String(JsonRead.Object(reply["result"])?["content"]) is { } content ? $"ok {Quoted(content)}" : "ok";
    }

    private static string Quoted(string text) => JsonValue.Create(text).ToJsonString();
}
