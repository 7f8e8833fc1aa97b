using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// One Claude turn, from the <c>system/init</c> line to the <c>result</c> line; the order of lines and waits is listed in
/// specs/simagent.md. An interrupt cancels the token, and the turn then ends with an <c>error_during_execution</c> result.
/// </summary>
internal sealed partial class ClaudeTurn(ClaudeContext context, TurnPlan plan, bool isFirst)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly JsonArray _denials = [];
    private long _apiStarted;
    private long? _firstToken;
    private int _modelCalls = 1;
    private bool _awaitingPermission;

    private string SessionId => context.Session.Id;

    private ProtocolWriter Writer => context.Writer;

    private bool Partial => context.Args.IncludePartialMessages;

    /// <returns>The exit code the turn forces on the process (an auth failure ends Claude Code), or null to keep serving.</returns>
    public async Task<int?> RunAsync(CancellationToken cancellationToken)
    {
        var priorContext = context.Session.ContextTokens;
        Writer.WriteLine(ClaudeMessages.Init(SessionId, context.Cwd, context.Args.Model));
        try
        {
            // Every turn waits for session init (a no-op once done); only turns after the first pay the per-turn overhead.
            await context.SessionInit.WaitAsync(cancellationToken);
            if (!isFirst)
            {
                await SimDelay.MsAsync(plan.TurnOverheadMs, cancellationToken);
            }

            await StageGate.PassAsync(plan.Faults, FaultStage.SessionInit);
            if (Partial)
            {
                Writer.WriteLine(ClaudeMessages.Status(SessionId));
            }

            TurnStderr.Write(plan.Faults);
            await GroupChild.RelayAsync(cancellationToken);
            _apiStarted = Stopwatch.GetTimestamp();
            await SimDelay.MsAsync(plan.FirstTokenDelayMs(priorContext), cancellationToken);
            if (plan.Faults.ModelError is { } error)
            {
                return await FailAsync(error, cancellationToken);
            }

            await StageGate.PassAsync(plan.Faults, FaultStage.BeforeFirstToken);
            if (plan.Faults.Has(FaultKind.Permission))
            {
                await UseToolAsync(cancellationToken);
            }

            PreTokenFaults.Emit(
                Writer, plan.Faults, Oversized, text => ClaudeMessages.StreamEvent(SessionId, ClaudeMessages.TextDelta(0, text)));
            await AnswerAsync(priorContext, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Writer.WriteLine(ClaudeMessages.Result(new ClaudeResult
            {
                SessionId = SessionId,
                Subtype = "error_during_execution",
                IsError = true,
                DurationMs = ElapsedMs(_started),
                DurationApiMs = ApiMs(),
                NumTurns = _modelCalls,
                PermissionDenials = _denials,
                TerminalReason = _awaitingPermission ? "aborted_tools" : "aborted_streaming",
                Errors = ["Request interrupted by user"],
            }));
        }

        return null;
    }

    private async Task AnswerAsync(int priorContext, CancellationToken cancellationToken)
    {
        var tokens = plan.ReplyTokens();
        var text = string.Concat(tokens);
        var usage = ClaudeUsage.ForTurn(priorContext, plan.PromptTokens, tokens.Length);
        var messageId = ClaudeMessages.NewMessageId();
        if (Partial)
        {
            Stream(ClaudeMessages.MessageStart(messageId, context.Args.Model, usage));
            Stream(ClaudeMessages.ContentBlockStart(0, ClaudeMessages.TextBlock(string.Empty)));
        }

        await TokenPacer.RunAsync(plan, tokens, (_, token) =>
        {
            _firstToken ??= Stopwatch.GetTimestamp();
            if (Partial)
            {
                Stream(ClaudeMessages.TextDelta(0, token));
            }
        }, cancellationToken);

        if (Partial)
        {
            Stream(ClaudeMessages.ContentBlockStop(0));
            Stream(ClaudeMessages.MessageDelta("end_turn", tokens.Length));
            Stream(ClaudeMessages.MessageStop());
        }

        Writer.WriteLine(ClaudeMessages.Assistant(
            SessionId, messageId, context.Args.Model, ClaudeMessages.TextBlock(text), "end_turn", usage));

        // Persist before the result line: a host may start a new process with --resume as soon as it sees the result.
        context.Session.AddTurn(plan.Prompt, text);
        context.Store.Save(context.Session);
        Writer.WriteLine(ClaudeMessages.Result(new ClaudeResult
        {
            SessionId = SessionId,
            Subtype = "success",
            IsError = false,
            DurationMs = ElapsedMs(_started),
            DurationApiMs = ApiMs(),
            TtftMs = _firstToken is { } first ? (long)Stopwatch.GetElapsedTime(_apiStarted, first).TotalMilliseconds : null,
            NumTurns = _modelCalls,
            Text = text,
            StopReason = "end_turn",
            Usage = usage,
            PermissionDenials = _denials,
        }));
    }

    private async Task<int?> FailAsync(ModelErrorKind error, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= (plan.Faults.ApiRetries ?? 0); attempt++)
        {
            Writer.WriteLine(ClaudeMessages.ApiRetry(SessionId, attempt, plan.ApiRetryDelayMs));
            await SimDelay.MsAsync(plan.ApiRetryDelayMs, cancellationToken);
        }

        var (text, code, status) = error switch
        {
            ModelErrorKind.Auth => ("Invalid API key · Please run /login", "authentication_failed", 401),
            ModelErrorKind.RateLimit => ("API Error: 429 rate_limit_error", "rate_limit", 429),
            _ => ("API Error: 500 Internal server error", "server_error", 500),
        };

        // Claude Code reports a failed API call as a synthetic assistant message and a "success" result flagged is_error.
        var messageId = ClaudeMessages.NewMessageId();
        Writer.WriteLine(ClaudeMessages.Assistant(
            SessionId, messageId, "<synthetic>", ClaudeMessages.TextBlock(text), "stop_sequence", ClaudeUsage.None, code));
        Writer.WriteLine(ClaudeMessages.Result(new ClaudeResult
        {
            SessionId = SessionId,
            Subtype = "success",
            IsError = true,
            DurationMs = ElapsedMs(_started),
            DurationApiMs = ApiMs(),
            Text = text,
            StopReason = "stop_sequence",
            ApiErrorStatus = status,
            PermissionDenials = _denials,
        }));
        return error == ModelErrorKind.Auth ? 1 : null;
    }

    // The oversized fault's line: a thinking block, so that the extra text never becomes part of the reply.
    private JsonNode Oversized(string filler) => ClaudeMessages.Assistant(
        SessionId,
        ClaudeMessages.NewMessageId(),
        context.Args.Model,
        new JsonObject { ["type"] = "thinking", ["thinking"] = filler, ["signature"] = string.Empty },
        null,
        ClaudeUsage.None);

    private void Stream(JsonObject apiEvent) => Writer.WriteLine(ClaudeMessages.StreamEvent(SessionId, apiEvent));

    private long ApiMs() => _apiStarted == 0 ? 0 : ElapsedMs(_apiStarted);

    private static long ElapsedMs(long since) => (long)Stopwatch.GetElapsedTime(since).TotalMilliseconds;
}
