using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>Claude's control protocol on stdio (<c>specs/families.md</c>), without the pipes: our
/// <c>control_request</c>s (<c>initialize</c>, <c>interrupt</c>) by id, each completed by the <c>control_response</c>
/// with that id; and the answers to the agent's <c>control_request</c>s (<c>can_use_tool</c> by the permission policy,
/// any other refused). The connection writes the lines.</summary>
internal sealed class ClaudeControlProtocol
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new();
    private int _requestCounter;

    /// <summary>Registers one request of ours: the line to write, and its answer (an error answer fails it as
    /// <c>protocol_error</c>). Call <see cref="Forget"/> with its id once it is no longer awaited.</summary>
    public OutgoingRequest Start(JsonObject request)
    {
        var requestId = $"workers-{Interlocked.Increment(ref _requestCounter)}";
        var pending = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = pending;
        var line = new JsonObject { ["type"] = "control_request", ["request_id"] = requestId, ["request"] = request }.ToJsonString();
        return new OutgoingRequest(requestId, line, pending.Task);
    }

    public void Forget(string requestId) => _pending.TryRemove(requestId, out _);

    /// <summary>The output ended: every request still waiting fails with <paramref name="reason"/>.</summary>
    public void FailPending(Func<TurnFailedException> reason)
    {
        foreach (var (_, pending) in _pending)
        {
            pending.TrySetException(reason());
        }
    }

    public void OnResponse(JsonElement message)
    {
        if (message.Obj("response") is not { } response || response.Str("request_id") is not { } requestId
            || !_pending.TryRemove(requestId, out var pending))
        {
            return;
        }

        if (response.Str("subtype") == "error")
        {
            pending.TrySetException(new TurnFailedException(FailureReasons.ProtocolError,
                $"The agent refused a control request: {response.Str("error")}") { BeforeOutput = true });
        }
        else
        {
            pending.TrySetResult(response.Prop("response")?.Clone() ?? default);
        }
    }

    /// <summary>The answer to one request of the agent, or null for a request without id or body.
    /// <paramref name="turn"/> (the running turn, if any) gets the permission events.</summary>
    public static ControlAnswer? Answer(JsonElement message, TurnContext? turn, ResolvedProfile profile)
    {
        var requestId = message.Str("request_id");
        var request = message.Obj("request");
        if (requestId is null || request is null)
        {
            return null;
        }

        if (request.Value.Str("subtype") != "can_use_tool")
        {
            return new ControlAnswer(new JsonObject
            {
                ["type"] = "control_response",
                ["response"] = new JsonObject
                {
                    ["subtype"] = "error",
                    ["request_id"] = requestId,
                    ["error"] = $"Workers does not serve '{request.Value.Str("subtype")}' requests.",
                },
            }.ToJsonString());
        }

        var toolName = request.Value.Str("tool_name");
        var toolUseId = request.Value.Str("tool_use_id");
        var decision = (turn?.Permissions ?? profile.Options.Permissions).Decide(toolName);
        turn?.Emit(new PermissionRequested(toolUseId, toolName, request.Value.Str("title") ?? request.Value.Str("display_name")));
        turn?.Emit(new PermissionAnswered(toolUseId, decision == PermissionDecision.Allow ? "allow" : "deny", null));
        var deny = PermissionResponse(requestId,
            new JsonObject { ["behavior"] = "deny", ["message"] = $"Denied by the permission policy of profile '{profile.Name}'." });
        if (decision != PermissionDecision.Allow)
        {
            return new ControlAnswer(deny);
        }

        var allow = PermissionResponse(requestId,
            new JsonObject { ["behavior"] = "allow", ["updatedInput"] = JsonNode.Parse(request.Value.Prop("input")?.GetRawText() ?? "{}") });
        var refusal = PermissionResponse(requestId, new JsonObject
        {
            ["behavior"] = "deny",
            ["message"] = "Workers could not record the tool use; the tool was refused so that it cannot run twice.",
        });
        return new ControlAnswer(allow, refusal);
    }

    private static string PermissionResponse(string requestId, JsonObject decision) => new JsonObject
    {
        ["type"] = "control_response",
        ["response"] = new JsonObject
        {
            ["subtype"] = "success",
            ["request_id"] = requestId,
            ["response"] = decision,
        },
    }.ToJsonString();

    /// <summary>The line that answers a request of the agent.</summary>
    /// <param name="Line">The answer.</param>
    /// <param name="RefusalIfNotRecorded">When the answer lets a tool run: the answer to send instead when the turn's tool use
    /// could not be recorded (<see cref="TurnContext.CommitToolUseAsync"/>); null otherwise.</param>
    public sealed record ControlAnswer(string Line, string? RefusalIfNotRecorded = null);

    /// <summary>One request of ours on its way.</summary>
    public sealed record OutgoingRequest(string Id, string Line, Task<JsonElement> Answer);
}
