using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The agent's side of the JSON-RPC 2.0 connection: answers, notifications, and its own requests to the client.</summary>
internal sealed class AcpConnection(ProtocolWriter writer)
{
    private readonly PendingReplies _replies = new();
    private int _lastRequestId = -1;

    public ProtocolWriter Writer => writer;

    /// <summary>The id of the client's <c>initialize</c> request, once it came: the <c>stray-responses</c> fault answers it
    /// twice.</summary>
    public JsonNode? InitializeId { get; set; }

    public void Reply(JsonNode id, AcpReply reply)
    {
        // codex-acp writes "result" before "id"; clients must parse by field, and this keeps them honest.
        var message = new JsonObject { ["jsonrpc"] = "2.0" };
        if (reply.Error is { } error)
        {
            message["error"] = error.ToJson();
        }
        else
        {
            message["result"] = reply.Result;
        }

        message["id"] = id;
        writer.WriteLine(message);
    }

    public void Update(string sessionId, JsonObject update) => writer.WriteLine(AcpMessages.SessionUpdate(sessionId, update));

    /// <summary>Sends a request to the client and waits for its answer (the whole response message, result or error).</summary>
    public async Task<JsonObject> RequestAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _lastRequestId);
        var key = id.ToString(CultureInfo.InvariantCulture);
        var reply = _replies.Register(key);
        writer.WriteLine(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        try
        {
            return await reply.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _replies.Forget(key);
            throw;
        }
    }

    /// <summary>Routes a response from the client to the request waiting for it; unknown ids are ignored.</summary>
    public void CompleteReply(JsonObject message)
    {
        var id = message["id"];
        var key = id is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.ToJsonString() : JsonRead.String(id);
        if (key is null || !_replies.Complete(key, message))
        {
            Diagnostics.Note($"ignoring a response to no pending request (id {id?.ToJsonString() ?? "null"})");
        }
    }
}
