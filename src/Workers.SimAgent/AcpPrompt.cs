using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// One <c>session/prompt</c> turn. Its updates stream as notifications and the answer ends the turn; <c>session/cancel</c>
/// stops it at the next token boundary (or while it waits for its first token or a permission answer) with
/// <c>stopReason:"cancelled"</c>.
/// </summary>
internal sealed class AcpPrompt(SimSettings settings, AcpConnection connection, SessionStore store, AcpSession session)
{
    private string SessionId => session.Stored.Id;

    public async Task<AcpReply> RunAsync(JsonObject parameters, CancellationToken cancellationToken)
    {
        if (parameters["prompt"] is not JsonArray prompt)
        {
            throw AcpException.InvalidParams("prompt must be an array of content blocks");
        }

        var plan = TurnPlan.Create(settings, JsonRead.PromptText(prompt));
        Action? exit = plan.Faults.ExitCode is { } code ? () => Environment.Exit(code) : null;
        try
        {
            await session.TurnLock.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return new AcpReply(AcpMessages.Cancelled(), After: exit);
        }

        try
        {
            return await TurnAsync(plan, cancellationToken) with { After = exit };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new AcpReply(AcpMessages.Cancelled(), After: exit);
        }
        finally
        {
            session.TurnLock.Release();
        }
    }

    private async Task<AcpReply> TurnAsync(TurnPlan plan, CancellationToken cancellationToken)
    {
        var prior = session.Stored.ContextTokens;
        await SimDelay.MsAsync(plan.TurnOverheadMs, cancellationToken);
        await StageGate.PassAsync(plan.Faults, FaultStage.SessionInit);
        TurnStderr.Write(plan.Faults);
        await GroupChild.RelayAsync(cancellationToken);
        await SimDelay.MsAsync(plan.FirstTokenDelayMs(prior), cancellationToken);
        if (plan.Faults.ModelError is { } error)
        {
            // The adapters retry quietly before they give up; only the final failure reaches the client.
            await SimDelay.MsAsync((plan.Faults.ApiRetries ?? 0) * plan.ApiRetryDelayMs, cancellationToken);
            return new AcpReply(null, AcpException.ForModelError(error));
        }

        await StageGate.PassAsync(plan.Faults, FaultStage.BeforeFirstToken);
        if (plan.Faults.Has(FaultKind.Permission) && !await UseToolAsync(plan, cancellationToken))
        {
            return new AcpReply(AcpMessages.Cancelled());
        }

        await AcpFileRequests.RunAsync(plan.FileRequests, connection, SessionId, cancellationToken);
        await AcpHostileMessages.SendAsync(plan.Faults, connection, session.Stored, cancellationToken);
        PreTokenFaults.Emit(
            connection.Writer,
            plan.Faults,
            filler => AcpMessages.SessionUpdate(SessionId, AcpMessages.Chunk("agent_thought_chunk", filler)),
            text => AcpMessages.SessionUpdate(SessionId, AcpMessages.Chunk("agent_message_chunk", text)));

        // claude-agent-acp opens its reply with an empty chunk; the first non-empty chunk is the real first token.
        if (plan.Faults.Has(FaultKind.EmptyFirstChunk))
        {
            connection.Update(SessionId, AcpMessages.Chunk("agent_message_chunk", string.Empty));
        }

        var tokens = plan.ReplyTokens();
        await TokenPacer.RunAsync(
            plan, tokens, (_, token) => connection.Update(SessionId, AcpMessages.Chunk("agent_message_chunk", token)), cancellationToken);

        var text = string.Concat(tokens);
        session.Stored.AddTurn(plan.Prompt, text);
        store.Save(session.Stored);
        connection.Update(SessionId, AcpMessages.UsageUpdate(session.Stored.ContextTokens));
        return new AcpReply(AcpMessages.EndTurn(prior + plan.PromptTokens, tokens.Length, prior, plan.PromptTokens));
    }

    /// <summary>
    /// The <c>permission</c> fault: the tool call is reported pending, the client is asked, and the call then completes or
    /// fails. As with the real adapters the tool call appears before the permission request that refers to it.
    /// </summary>
    /// <returns>False when the client answered <c>cancelled</c>, which ends the turn as cancelled.</returns>
    private async Task<bool> UseToolAsync(TurnPlan plan, CancellationToken cancellationToken)
    {
        var toolCallId = $"call_sim_{Guid.NewGuid():N}"[..21];
        var path = Path.Combine(session.Stored.Cwd, "sim.txt");
        connection.Update(SessionId, AcpMessages.ToolCall(toolCallId, path));
        var reply = await connection.RequestAsync(
            "session/request_permission", AcpMessages.PermissionRequest(SessionId, toolCallId), cancellationToken);
        var outcome = JsonRead.Object(JsonRead.Object(reply["result"])?["outcome"]);
        if (JsonRead.String(outcome?["outcome"]) == "cancelled")
        {
            return false;
        }

        // A client error or an unknown option counts as a rejection: the tool must not run without a clear yes.
        var allowed = JsonRead.String(outcome?["optionId"]) is "allow-once" or "allow-always";
        if (allowed)
        {
            ToolExecutionLog.Append(plan, toolCallId);
        }

        connection.Update(SessionId, allowed
            ? AcpMessages.ToolCallUpdate(toolCallId, "completed", $"Wrote {path}")
            : AcpMessages.ToolCallUpdate(toolCallId, "failed", "Permission denied by the user"));
        return true;
    }
}
