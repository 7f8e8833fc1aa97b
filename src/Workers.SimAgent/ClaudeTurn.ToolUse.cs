using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The <c>permission</c> fault: the model asks to write a file before answering.</summary>
internal sealed partial class ClaudeTurn
{
    private const string ToolName = "Write";
    private const string DefaultDenial = "The user doesn't want to proceed with this tool use. The tool use was rejected.";

    /// <summary>
    /// As in Claude Code, the model's tool_use message comes first (streamed, then as an <c>assistant</c> line), then the CLI
    /// checks permission — asking the host with <c>can_use_tool</c> under <c>--permission-prompt-tool stdio</c>, else
    /// denying — and reports the outcome as a <c>tool_result</c>. A second model call then produces the reply.
    /// </summary>
    private async Task UseToolAsync(CancellationToken cancellationToken)
    {
        var number = context.NextToolUse();
        var toolUseId = $"toolu_sim_{number}";
        var filePath = Path.Combine(context.Cwd, "sim.txt");
        JsonObject Input() => new() { ["file_path"] = filePath, ["content"] = "sim" };

        var messageId = ClaudeMessages.NewMessageId();
        var usage = ClaudeUsage.ForTurn(context.Session.ContextTokens, plan.PromptTokens, 20);
        if (Partial)
        {
            Stream(ClaudeMessages.MessageStart(messageId, context.Args.Model, usage));
            Stream(ClaudeMessages.ContentBlockStart(0, ClaudeMessages.ToolUseBlock(toolUseId, ToolName, new JsonObject())));
            Stream(ClaudeMessages.InputJsonDelta(0, Input().ToJsonString()));
            Stream(ClaudeMessages.ContentBlockStop(0));
            Stream(ClaudeMessages.MessageDelta("tool_use", usage.OutputTokens));
            Stream(ClaudeMessages.MessageStop());
        }

        Writer.WriteLine(ClaudeMessages.Assistant(
            SessionId, messageId, context.Args.Model, ClaudeMessages.ToolUseBlock(toolUseId, ToolName, Input()), "tool_use", usage));

        var (allowed, denial) = context.Args.PermissionPromptStdio
            ? await AskHostAsync($"sim-perm-{number}", toolUseId, Input(), cancellationToken)
            : (false, $"Claude requested permissions to write to {filePath}, but you haven't granted it yet.");
        if (allowed)
        {
            ToolExecutionLog.Append(plan, toolUseId);
        }
        else
        {
            _denials.Add(new JsonObject { ["tool_name"] = ToolName, ["tool_use_id"] = toolUseId, ["tool_input"] = Input() });
        }

        Writer.WriteLine(ClaudeMessages.ToolResult(
            SessionId, toolUseId, allowed ? $"File created successfully at: {filePath}" : denial, isError: !allowed));
        _modelCalls++;
    }

    private async Task<(bool Allowed, string Denial)> AskHostAsync(
        string requestId, string toolUseId, JsonObject input, CancellationToken cancellationToken)
    {
        var reply = context.Replies.Register(requestId);
        Writer.WriteLine(ClaudeMessages.CanUseTool(requestId, toolUseId, ToolName, input));
        JsonObject answer;
        _awaitingPermission = true;
        try
        {
            answer = await reply.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Claude Code withdraws a prompt it no longer needs, and the host must then not answer it.
            context.Replies.Forget(requestId);
            Writer.WriteLine(ClaudeMessages.ControlCancel(requestId));
            throw;
        }

        _awaitingPermission = false;
        var decision = JsonRead.Object(answer["response"]);
        if (JsonRead.String(answer["subtype"]) != "success")
        {
            return (false, JsonRead.String(answer["error"]) ?? "Permission request failed");
        }

        return JsonRead.String(decision?["behavior"]) == "allow"
            ? (true, string.Empty)
            : (false, JsonRead.String(decision?["message"]) ?? DefaultDenial);
    }
}
