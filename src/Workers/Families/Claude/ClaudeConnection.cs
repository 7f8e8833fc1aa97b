using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>A Claude Code process in stream-json mode (<c>specs/families.md</c>). Readiness is the answer to an
/// <c>initialize</c> control request; the session is fixed at launch (<c>--session-id</c> or <c>--resume</c>);
/// each turn is one <c>user</c> line and ends with a <c>result</c>.</summary>
public sealed partial class ClaudeConnection : StdioConnection
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _controlRequests = new();
    private readonly LaunchRequest _launch;
    private int _requestCounter;

    // State of the running turn; touched only by the read loop, and reset when a turn starts.
    private long? _initTimestamp;
    private bool _textStreamedInMessage;
    private int _apiRetries;
    private string? _assistantError;
    private volatile bool _cancelRequested;

    internal ClaudeConnection(AgentProcess process, ResolvedProfile profile, LaunchRequest launch, string sessionId,
        TimeProvider timeProvider, ILogger logger)
        : base(process, profile, timeProvider, logger)
    {
        _launch = launch;
        SessionId = sessionId;
        SessionWorkingDirectory = launch.WorkingDirectory;
    }

    public override bool CanServeAnotherTurn => !OutputEnded && !IsBroken && !Process.HasExited;

    public override async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        if (ReadyTimestamp is not null)
        {
            return;
        }

        // The readiness probe: the CLI answers `initialize` only once its start-up work is done.
        await SendControlRequestAsync(new JsonObject { ["subtype"] = "initialize", ["hooks"] = null }, cancellationToken);
        ReadyTimestamp ??= TimeProvider.GetTimestamp();
    }

    public override Task<SessionOpened> OpenSessionAsync(SessionRequest request, TurnContext turn, CancellationToken cancellationToken)
    {
        if (TurnsServed == 0)
        {
            if (request.ResumeSessionId is not null && request.ResumeSessionId != _launch.ResumeSessionId)
            {
                throw new InvalidOperationException(
                    $"Claude process {Process.ProcessId} was launched for session {SessionId}, not {request.ResumeSessionId}.");
            }

            // A process launched ahead of demand with its session id (the pool's refill) held that session before the turn.
            var kind = _launch.ResumeSessionId is not null ? Families.StartKinds.Resumed
                : _launch.PresetSessionId is not null ? Families.StartKinds.Prewarmed
                : Families.StartKinds.New;
            return Task.FromResult(new SessionOpened(SessionId, kind));
        }

        if (request.ResumeSessionId != SessionId || request.WorkingDirectory != SessionWorkingDirectory)
        {
            throw new InvalidOperationException($"Claude process {Process.ProcessId} holds session {SessionId}, not {request.ResumeSessionId}.");
        }

        return Task.FromResult(new SessionOpened(SessionId, Families.StartKinds.Live));
    }

    protected override async Task SendPromptAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        _initTimestamp = null;
        _textStreamedInMessage = false;
        _apiRetries = 0;
        _assistantError = null;
        _cancelRequested = false;
        var line = new JsonObject
        {
            ["type"] = "user",
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = turn.Prompt },
            ["parent_tool_use_id"] = null,
            ["session_id"] = "default",
        }.ToJsonString();
        turn.Clock.MarkPromptSent();
        await Process.WriteLineAsync(line, cancellationToken);
    }

    public override async Task CancelTurnAsync(CancellationToken cancellationToken)
    {
        _cancelRequested = true;
        try
        {
            await SendControlRequestAsync(new JsonObject { ["subtype"] = "interrupt" }, cancellationToken);
        }
        catch (TurnFailedException)
        {
            // The process is gone: the turn ends with the exit.
        }
    }

    protected override void OnMessage(JsonElement message)
    {
        switch (message.Str("type"))
        {
            case "control_response":
                OnControlResponse(message);
                break;
            case "control_request":
                OnControlRequest(message);
                break;
            case "system":
                OnSystem(message);
                break;
            case "stream_event":
                OnStreamEvent(message);
                break;
            case "assistant":
                OnAssistant(message);
                break;
            case "user":
                OnUser(message);
                break;
            case "result":
                OnResult(message);
                break;
            default:
                // rate_limit_event, control_cancel_request and types newer than this driver: skipped, as the SDK does.
                break;
        }
    }

    private void OnSystem(JsonElement message)
    {
        var turn = ActiveTurn;
        switch (message.Str("subtype"))
        {
            case "init":
                SessionId = message.Str("session_id") ?? SessionId;
                _initTimestamp ??= TimeProvider.GetTimestamp();
                ReportVersion(message.Str("claude_code_version"));
                break;
            case "status" when message.Str("status") == "requesting":
                turn?.Clock.MarkSessionReady();
                break;
            case "api_retry" when turn is not null:
                _apiRetries++;
                turn.Emit(new AgentNotice("api_retry",
                    $"The agent retries its model call (attempt {message.Long("attempt")}, status {message.Long("error_status")}: {message.Str("error")})."));
                if (message.Long("error_status") is { } status && ProviderErrorClassifier.FromHttpStatus((int)status) is
                    FailureReasons.Auth or FailureReasons.Balance)
                {
                    // Claude Code 2.1 retries a 401/403 too (to refresh an OAuth login): with an API key that never heals,
                    // so the turn fails now with the named reason instead of waiting out the retries.
                    MarkBroken();
                    CompleteTurn(TurnOutcome.Failed(ProviderErrorClassifier.FromHttpStatus((int)status),
                        $"The agent's model call failed with status {status}: {message.Str("error")}.", beforeOutput: !turn.HasOutput));
                }
                else if (_apiRetries > Profile.Options.MaxProviderRetries)
                {
                    MarkBroken();
                    CompleteTurn(TurnOutcome.Failed(FailureReasons.ApiRetriesExhausted,
                        $"The agent retried its model call {_apiRetries} times (limit {Profile.Options.MaxProviderRetries}, MaxProviderRetries); " +
                        $"last status {message.Long("error_status")}: {message.Str("error")}.", beforeOutput: !turn.HasOutput));
                }

                break;
        }
    }

    private void OnStreamEvent(JsonElement message)
    {
        var turn = ActiveTurn;
        if (turn is null || message.Obj("event") is not { } streamEvent)
        {
            return;
        }

        switch (streamEvent.Str("type"))
        {
            case "message_start":
                _textStreamedInMessage = false;
                break;
            case "content_block_delta" when streamEvent.Obj("delta") is { } delta:
                if (delta.Str("type") == "text_delta" && delta.Str("text") is { Length: > 0 } text)
                {
                    MarkFirstToken(turn);
                    _textStreamedInMessage = true;
                    turn.EmitText(text);
                }
                else if (delta.Str("type") == "thinking_delta" && delta.Str("thinking") is { Length: > 0 } thinking)
                {
                    turn.Emit(new ThoughtDelta(thinking));
                }

                break;
        }
    }

    private void OnAssistant(JsonElement message)
    {
        var turn = ActiveTurn;
        if (turn is null)
        {
            return;
        }

        _assistantError = message.Str("error") ?? _assistantError;
        if (message.Obj("message") is { } body)
        {
            foreach (var block in body.Array("content"))
            {
                switch (block.Str("type"))
                {
                    case "text" when !_textStreamedInMessage && _assistantError is null && block.Str("text") is { Length: > 0 } text:
                        MarkFirstToken(turn);
                        turn.EmitText(text);
                        break;
                    case "tool_use":
                        turn.Emit(new ToolCallEvent(block.Str("id") ?? "", block.Str("name"), null, "pending", block.Prop("input")?.Clone()));
                        break;
                }
            }
        }

        _textStreamedInMessage = false;
    }

    private void OnUser(JsonElement message)
    {
        var turn = ActiveTurn;
        if (turn is null || message.Obj("message") is not { } body)
        {
            return;
        }

        foreach (var block in body.Array("content").Where(b => b.Str("type") == "tool_result"))
        {
            turn.Emit(new ToolCallEvent(block.Str("tool_use_id") ?? "", null, null, block.Bool("is_error") ? "failed" : "completed", null));
        }
    }

    private void OnResult(JsonElement message)
    {
        var turn = ActiveTurn;
        if (turn is null)
        {
            return;
        }

        SessionId = message.Str("session_id") ?? SessionId;
        UsageReported? usage = null;
        if (message.Obj("usage") is { } u)
        {
            usage = new UsageReported(u.Long("input_tokens"), u.Long("output_tokens"), u.Long("cache_read_input_tokens"),
                u.Long("cache_creation_input_tokens"));
            turn.Emit(usage);
        }

        var subtype = message.Str("subtype");
        var terminalReason = message.Str("terminal_reason");
        if (_cancelRequested && (subtype == "error_during_execution" || terminalReason?.StartsWith("aborted", StringComparison.Ordinal) == true))
        {
            CompleteTurn(TurnOutcome.Cancelled("Interrupted at the producer's request.", usage));
            return;
        }

        if (message.Bool("is_error") || subtype != "success")
        {
            var text = message.Str("result") ?? string.Join("; ", message.Array("errors").Select(e => e.GetString()));
            var reason = message.Long("api_error_status") is { } status
                ? ProviderErrorClassifier.FromHttpStatus((int)status)
                : _assistantError is not null
                    ? ProviderErrorClassifier.FromClaudeErrorKind(_assistantError)
                    : subtype != "success" ? FailureReasons.AgentError : ProviderErrorClassifier.FromText(text);
            // An API failure comes as subtype "success" with is_error: naming that subtype would only confuse.
            var description = subtype == "success" ? $"The agent reported an error: {text}" : $"The agent reported an error ({subtype}): {text}";
            CompleteTurn(TurnOutcome.Failed(reason, description, beforeOutput: !turn.HasOutput, usage));
            return;
        }

        if (!turn.HasOutput && message.Str("result") is { Length: > 0 } resultText)
        {
            MarkFirstToken(turn);
            turn.EmitText(resultText);
        }

        CompleteTurn(TurnOutcome.Succeeded(message.Str("stop_reason"), usage));
    }

    private void MarkFirstToken(TurnContext turn)
    {
        // session_ready is `system/status requesting` when the CLI reports it, else `system/init`.
        if (_initTimestamp is { } init)
        {
            turn.Clock.MarkSessionReady(init);
        }
    }

    private void OnControlRequest(JsonElement message)
    {
        var requestId = message.Str("request_id");
        var request = message.Obj("request");
        if (requestId is null || request is null)
        {
            return;
        }

        JsonObject response;
        if (request.Value.Str("subtype") == "can_use_tool")
        {
            response = AnswerPermission(request.Value);
        }
        else
        {
            WriteInBackground(ControlResponseError(requestId, $"Workers does not serve '{request.Value.Str("subtype")}' requests."));
            return;
        }

        WriteInBackground(new JsonObject
        {
            ["type"] = "control_response",
            ["response"] = new JsonObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = response },
        }.ToJsonString());
    }

    private JsonObject AnswerPermission(JsonElement request)
    {
        var toolName = request.Str("tool_name");
        var toolUseId = request.Str("tool_use_id");
        var turn = ActiveTurn;
        var decision = (turn?.Permissions ?? Profile.Options.Permissions).Decide(toolName);
        turn?.Emit(new PermissionRequested(toolUseId, toolName, request.Str("title") ?? request.Str("display_name")));
        turn?.Emit(new PermissionAnswered(toolUseId, decision == PermissionDecision.Allow ? "allow" : "deny", null));
        return decision == PermissionDecision.Allow
            ? new JsonObject { ["behavior"] = "allow", ["updatedInput"] = JsonNode.Parse(request.Prop("input")?.GetRawText() ?? "{}") }
            : new JsonObject { ["behavior"] = "deny", ["message"] = $"Denied by the permission policy of profile '{Profile.Name}'." };
    }

    private static string ControlResponseError(string requestId, string error) => new JsonObject
    {
        ["type"] = "control_response",
        ["response"] = new JsonObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = error },
    }.ToJsonString();

    private void OnControlResponse(JsonElement message)
    {
        if (message.Obj("response") is not { } response || response.Str("request_id") is not { } requestId
            || !_controlRequests.TryRemove(requestId, out var pending))
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

    private async Task<JsonElement> SendControlRequestAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var requestId = $"workers-{Interlocked.Increment(ref _requestCounter)}";
        var pending = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _controlRequests[requestId] = pending;
        if (OutputEnded)
        {
            _controlRequests.TryRemove(requestId, out _);
            throw ExitedBeforeReady(null);
        }

        try
        {
            await Process.WriteLineAsync(
                new JsonObject { ["type"] = "control_request", ["request_id"] = requestId, ["request"] = request }.ToJsonString(),
                cancellationToken);
        }
        catch (IOException)
        {
            // Gone already: the end of output fails the pending request with the exit's reason.
        }

        try
        {
            return await pending.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _controlRequests.TryRemove(requestId, out _);
        }
    }

    protected override void OnProcessEnded(AgentExit? exit)
    {
        foreach (var (_, pending) in _controlRequests)
        {
            pending.TrySetException(ExitedBeforeReady(exit));
        }
    }

    protected override TurnOutcome OutcomeOnExit(TurnContext turn, AgentExit? exit) =>
        _launch.ResumeSessionId is not null && StaleSessionPatterns.IsStale(Process.Stderr.Read())
            ? TurnOutcome.Failed(FailureReasons.StaleResume, $"The agent does not know session {_launch.ResumeSessionId}. {StderrSummary()}", true)
            : base.OutcomeOnExit(turn, exit);

    private TurnFailedException ExitedBeforeReady(AgentExit? exit)
    {
        if (_launch.ResumeSessionId is { } resumed && StaleSessionPatterns.IsStale(Process.Stderr.Read()))
        {
            return new StaleSessionException(resumed, $"The agent does not know session {resumed}. {StderrSummary()}");
        }

        return new TurnFailedException(FailureReasons.ProcessExitBeforeOutput,
            $"Agent process {Process.ProcessId} exited{ExitText(exit)} before it was ready. {StderrSummary()}") { BeforeOutput = true };
    }

    private void WriteInBackground(string line) =>
        _ = Process.WriteLineAsync(line, CancellationToken.None).AsTask().ContinueWith(
            t => LogControlWriteFailed(Logger, Process.ProcessId, t.Exception!.GetBaseException()),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    [LoggerMessage(EventId = Logging.EventIds.Families + 10, Level = LogLevel.Debug,
        Message = "Answering a control request of Claude process {ProcessId} failed")]
    private static partial void LogControlWriteFailed(ILogger logger, int processId, Exception exception);
}
