using System.Text.Json;
using System.Text.Json.Nodes;
using StreamJsonRpc;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>What the agent sends us: updates of the running prompt, and requests answered by policy at once so
/// that no turn waits on a human who is not there.</summary>
internal sealed partial class AcpConnection
{
    private const int InvalidParams = -32602;

    /// <summary>The <c>session/update</c> kinds that are turn events; any other is not.</summary>
    private static readonly string[] SessionUpdates = ["agent_message_chunk", "agent_thought_chunk", "tool_call", "tool_call_update"];

    // What the running turn's `tool_call` updates said about each tool call. A permission request's `toolCall` is a
    // ToolCallUpdate carrying only what changed (claude-code-acp 0.16 sent no `kind` there): the rest comes from here.
    private readonly Dictionary<string, KnownToolCall> _toolCalls = new(StringComparer.Ordinal);

    private sealed record KnownToolCall(string? Kind, string? Title, string? ToolName);

    private KnownToolCall Remember(JsonElement toolCall)
    {
        var id = toolCall.Str("toolCallId") ?? "";
        lock (_toolCalls)
        {
            _toolCalls.TryGetValue(id, out var known);
            var merged = new KnownToolCall(toolCall.Str("kind") ?? known?.Kind, toolCall.Str("title") ?? known?.Title,
                toolCall.Obj("_meta")?.Obj("claudeCode")?.Str("toolName") ?? known?.ToolName);
            _toolCalls[id] = merged;
            return merged;
        }
    }

    private void ForgetToolCalls()
    {
        lock (_toolCalls)
        {
            _toolCalls.Clear();
        }
    }

    internal void OnSessionUpdate(JsonElement parameters)
    {
        var turn = ActiveTurn;
        var update = parameters.Obj("update");
        // Updates before the prompt (a load's replay, announcements) belong to no turn.
        if (turn is null || update is null || !parameters.Is("sessionId", SessionId))
        {
            return;
        }

        var u = update.Value;
        switch (u.OneOf("sessionUpdate", SessionUpdates))
        {
            case "agent_message_chunk" when u.Obj("content") is { } content && content.Is("type", "text"):
                // claude-agent-acp's first chunk can be empty: only non-empty text is the first token.
                turn.EmitText(content.Str("text") ?? "");
                break;
            case "agent_thought_chunk" when u.Obj("content")?.Str("text") is { Length: > 0 } thought:
                turn.Emit(new ThoughtDelta(thought));
                break;
            case "tool_call":
                Remember(u);
                turn.Emit(new ToolCallEvent(u.Str("toolCallId") ?? "", u.Str("title"), u.Str("kind"), u.Str("status") ?? "pending",
                    u.Prop("rawInput")?.Clone()));
                break;
            case "tool_call_update":
                Remember(u);
                turn.Emit(new ToolCallEvent(u.Str("toolCallId") ?? "", u.Str("title"), u.Str("kind"), u.Str("status"), null));
                break;
            default:
                // plan, usage_update, available_commands_update, mode and info updates: not turn events.
                break;
        }
    }

    internal async Task<JsonElement> OnRequestPermissionAsync(JsonElement parameters)
    {
        if (parameters.Str("sessionId") is not { } sessionId || sessionId != SessionId)
        {
            // Not this process's session: nothing of it is the running turn's, so it is neither shown, decided nor recorded.
            throw new LocalRpcException($"Session '{parameters.Str("sessionId")}' is not the session of this process.")
            {
                ErrorCode = InvalidParams,
            };
        }

        var turn = ActiveTurn;
        var toolCall = parameters.Obj("toolCall");
        var toolCallId = toolCall?.Str("toolCallId");
        var known = toolCall is { } call ? Remember(call) : null;
        var title = known?.Title;
        var kind = known?.Kind;
        turn?.Emit(new PermissionRequested(toolCallId, kind ?? known?.ToolName, title));
        if (_prompt.CancelRequested)
        {
            // ACP: pending permission requests of a cancelled turn are answered `cancelled`.
            turn?.Emit(new PermissionAnswered(toolCallId, "cancelled", null));
            return Answer(new JsonObject { ["outcome"] = new JsonObject { ["outcome"] = "cancelled" } });
        }

        var decision = (turn?.Permissions ?? Profile.Options.Permissions).Decide(kind, title, known?.ToolName);
        if (decision == PermissionDecision.Allow && turn is not null && !await turn.CommitToolUseAsync())
        {
            // The tool use could not be recorded: a lost worker's next claim would run the tool again. Refused.
            decision = PermissionDecision.Deny;
        }

        var options = parameters.Array("options").ToList();
        var preferred = decision == PermissionDecision.Allow ? new[] { "allow_once", "allow_always" } : ["reject_once", "reject_always"];
        var option = preferred.Select(k => options.FirstOrDefault(o => o.Str("kind") == k)).FirstOrDefault(o => o.ValueKind == JsonValueKind.Object);
        var optionId = option.ValueKind == JsonValueKind.Object ? option.Str("optionId") : null;
        turn?.Emit(new PermissionAnswered(toolCallId, decision == PermissionDecision.Allow ? "allow" : "deny", optionId));
        var outcome = optionId is null
            ? new JsonObject { ["outcome"] = "cancelled" }
            : new JsonObject { ["outcome"] = "selected", ["optionId"] = optionId };
        return Answer(new JsonObject { ["outcome"] = outcome });
    }

    internal JsonElement OnReadTextFile(JsonElement parameters)
    {
        RequireClientFileSystem();
        var path = parameters.Str("path");
        var read = new TextRead(parameters.Long("line"), parameters.Long("limit"), Profile.Options.MaxFileReadBytes);
        return Answer(new JsonObject { ["content"] = OnConfinedFiles(parameters, files => files.ReadText(path!, read), "read") });
    }

    internal async Task<JsonElement> OnWriteTextFileAsync(JsonElement parameters)
    {
        RequireClientFileSystem();
        var path = parameters.Str("path");
        // Checked before the tool use is recorded, so that a refused write is not counted as one.
        OnConfinedFiles(parameters, files => files.Check(path!), "written");
        if (ActiveTurn is { } turn && !await turn.CommitToolUseAsync())
        {
            throw new LocalRpcException("The turn's tool use could not be recorded; the write was refused.") { ErrorCode = -32603 };
        }

        OnConfinedFiles(parameters, files => files.WriteAllText(path!, parameters.Str("content") ?? ""), "written");
        return Answer(new JsonObject());
    }

    private void RequireClientFileSystem()
    {
        if (!Profile.Options.ClientFileSystem)
        {
            throw new LocalRpcException("fs/* is not offered to this agent (ClientFileSystem is off).") { ErrorCode = -32601 };
        }
    }

    /// <summary>File access is confined to the working directory of the session that asks (<see cref="ConfinedFiles"/>).
    /// Every failure is a JSON-RPC error naming only the agent's own path: the turn goes on.</summary>
    private T OnConfinedFiles<T>(JsonElement parameters, Func<ConfinedFiles, T> access, string verb)
    {
        var path = parameters.Str("path");
        var root = SessionWorkingDirectory;
        if (path is null)
        {
            throw new LocalRpcException("'path' must be an absolute path, got none.") { ErrorCode = InvalidParams };
        }

        if (root is null || parameters.Str("sessionId") != SessionId)
        {
            throw new LocalRpcException($"'{path}' is outside the session's working directory.") { ErrorCode = InvalidParams };
        }

        try
        {
            // In a sandbox the agent names paths as it sees them; they are answered from the slot behind them.
            return access(_slot is null ? new ConfinedFiles(root) : new ConfinedFiles(_slot.HostPathOf(root), viewRoot: root));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The exception's own text may name the real path a link led to.
            throw new LocalRpcException($"'{path}' could not be {verb}.") { ErrorCode = -32603 };
        }
    }

    private void OnConfinedFiles(JsonElement parameters, Action<ConfinedFiles> access, string verb) =>
        OnConfinedFiles(parameters, files => { access(files); return true; }, verb);

    private static JsonElement Answer(JsonObject answer) => JsonSerializer.SerializeToElement(answer);
}
