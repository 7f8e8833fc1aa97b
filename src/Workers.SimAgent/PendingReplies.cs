using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The agent's own requests to the host (permission prompts) that await an answer read on the stdin thread.</summary>
internal sealed class PendingReplies
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _pending = new(StringComparer.Ordinal);

    public Task<JsonObject> Register(string id)
    {
        // Continuations must not run on the stdin thread, or reading would stall behind the turn.
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        return reply.Task;
    }

    /// <returns>False when nobody waits for <paramref name="id"/> (a late or unsolicited answer, which is ignored).</returns>
    public bool Complete(string id, JsonObject reply) => _pending.TryRemove(id, out var waiter) && waiter.TrySetResult(reply);

    public void Forget(string id) => _pending.TryRemove(id, out _);
}
