using System.Globalization;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// The ACP faults of an agent that talks past its turn: <c>stray-responses</c> answers requests the client never made (or
/// made and had answered), with ids of every shape; <c>foreign-session</c> sends updates and requests for a session the client
/// did not open on this process. The client must ignore the first and keep the second out of the turn. What the client answered
/// to the foreign requests is reported, one line each, as reply text of the turn's own session:
/// <c>foreign:&lt;method&gt; =&gt; ok {…}</c> or <c>=&gt; error &lt;code&gt; "message"</c>.
/// </summary>
internal static class AcpHostileMessages
{
    /// <summary>The session id the foreign messages name: no client opened it.</summary>
    public const string ForeignSessionId = "sim-foreign-session";

    /// <summary>The text of the foreign update; it must never reach the turn.</summary>
    public const string ForeignText = "FOREIGN-TEXT";

    public static async Task SendAsync(
        FaultPlan faults, AcpConnection connection, StoredSession session, CancellationToken cancellationToken)
    {
        if (faults.Has(FaultKind.StrayResponses))
        {
            SendStrayResponses(connection);
        }

        if (faults.Has(FaultKind.ForeignSession))
        {
            await SendForeignAsync(connection, session, cancellationToken);
        }
    }

    private static void SendStrayResponses(AcpConnection connection)
    {
        var writer = connection.Writer;
        // An answer shaped like the prompt's own, to an id never used: it must not end the turn.
        writer.WriteLine(Response(987_654_321, result: AcpMessages.EndTurn(1, 1, 0, 0)));
        writer.WriteLine(Response("no-such-request", error: Error(-32603, "stray error")));
        // What a JSON-RPC peer sends when it could not read a request: an error without an id.
        writer.WriteLine(Response(null, error: Error(-32700, "Parse error")));
        if (connection.InitializeId is { } answered)
        {
            // A second answer to a request the client already had answered.
            writer.WriteLine(Response(answered.DeepClone(), result: new JsonObject { ["protocolVersion"] = 99 }));
        }

        // Ids that are not what JSON-RPC allows or no integer type holds: written raw, since a JsonNode would not keep them.
        writer.WriteRawLine("""{"jsonrpc":"2.0","result":{},"id":18446744073709551616}""");
        writer.WriteRawLine("""{"jsonrpc":"2.0","result":{},"id":1.5}""");
        writer.WriteRawLine("""{"jsonrpc":"2.0","result":{},"id":{"nested":1}}""");
        writer.WriteRawLine("""{"jsonrpc":"2.0","result":{},"id":[1]}""");
        writer.WriteRawLine("""{"jsonrpc":"2.0","result":{},"id":true}""");
    }

    private static async Task SendForeignAsync(AcpConnection connection, StoredSession session, CancellationToken cancellationToken)
    {
        connection.Update(ForeignSessionId, AcpMessages.Chunk("agent_message_chunk", ForeignText));
        connection.Update(ForeignSessionId, AcpMessages.Chunk("agent_thought_chunk", ForeignText));
        connection.Update(ForeignSessionId, AcpMessages.ToolCall("call_foreign", Path.Combine(session.Cwd, "foreign.txt")));

        var permission = await connection.RequestAsync(
            "session/request_permission", AcpMessages.PermissionRequest(ForeignSessionId, "call_foreign"), cancellationToken);
        Report(connection, session.Id, "session/request_permission", permission);

        var path = Path.Combine(session.Cwd, "foreign.txt");
        var read = await connection.RequestAsync(
            "fs/read_text_file", new JsonObject { ["sessionId"] = ForeignSessionId, ["path"] = path }, cancellationToken);
        Report(connection, session.Id, "fs/read_text_file", read);

        var write = await connection.RequestAsync(
            "fs/write_text_file",
            new JsonObject { ["sessionId"] = ForeignSessionId, ["path"] = path, ["content"] = ForeignText },
            cancellationToken);
        Report(connection, session.Id, "fs/write_text_file", write);
    }

    private static void Report(AcpConnection connection, string sessionId, string method, JsonObject reply)
    {
        var answer = JsonRead.Object(reply["error"]) is { } error
            ? $"error {Code(error)} {JsonValue.Create(JsonRead.String(error["message"]) ?? "").ToJsonString()}"
            : $"ok {reply["result"]?.ToJsonString() ?? "null"}";
        connection.Update(sessionId, AcpMessages.Chunk("agent_message_chunk", $"foreign:{method} => {answer}\n"));
    }

    private static string Code(JsonObject error) =>
        (error["code"] is JsonValue value && value.TryGetValue<int>(out var code) ? code : 0).ToString(CultureInfo.InvariantCulture);

    private static JsonObject Response(JsonNode? id, JsonObject? result = null, JsonObject? error = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0" };
        if (error is not null)
        {
            message["error"] = error;
        }
        else
        {
            message["result"] = result;
        }

        message["id"] = id;
        return message;
    }

    private static JsonObject Error(int code, string message) => new() { ["code"] = code, ["message"] = message };
}
