using System.Text.Json;
using StreamJsonRpc;

namespace Workers.Families.Acp;

/// <summary>The ids of our requests to the agent that it has not answered yet. StreamJsonRpc drops its whole connection on a
/// response it is not waiting for ("A response was received without a request having been sent"): a second answer, an answer
/// to an id never used, an error with a null id. So a response goes on to it only when it is the first answer to one of these;
/// any other is dropped (<see cref="AcpRpcChannel"/>, <c>specs/security.md</c> "Hostile agents").</summary>
internal sealed class PendingRequests
{
    private readonly Lock _lock = new();
    private readonly HashSet<RequestId> _waiting = [];

    /// <summary>A request with this id is being written to the agent.</summary>
    public void Sent(RequestId id)
    {
        lock (_lock)
        {
            _waiting.Add(id);
        }
    }

    /// <summary>True, once, when <paramref name="id"/> (a response's <c>id</c>) is that of a request still waiting; it then
    /// waits no more.</summary>
    public bool TryTake(JsonElement id)
    {
        RequestId key;
        if (id.ValueKind == JsonValueKind.String)
        {
            key = new RequestId(id.GetString());
        }
        else if (id.ValueKind == JsonValueKind.Number && AcpEnvelope.IsReadableId(id))
        {
            key = new RequestId(id.GetInt64());
        }
        else
        {
            return false;
        }

        lock (_lock)
        {
            return _waiting.Remove(key);
        }
    }
}
