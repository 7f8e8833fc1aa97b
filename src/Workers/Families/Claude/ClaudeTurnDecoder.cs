using System.Text.Json;
using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>Decodes one turn's stream-json output (<c>system</c>, <c>stream_event</c>, <c>assistant</c>, <c>user</c>,
/// <c>result</c>) into the turn's events and outcome (<c>specs/families.md</c>). One instance per turn, created when the
/// turn's prompt is written: its state starts clean with the turn and is touched only by the read loop, the cancel
/// flag excepted.</summary>
internal sealed class ClaudeTurnDecoder(TurnContext turn, IClaudeTurnOwner owner, int maxProviderRetries, TimeProvider timeProvider)
{
    private static readonly string[] MessageTypes = ["system", "stream_event", "assistant", "user", "result"];
    private static readonly string[] SystemSubtypes = ["init", "status", "api_retry"];
    private static readonly string[] StreamEventTypes = ["message_start", "content_block_delta"];
    private static readonly string[] ContentBlockTypes = ["text", "tool_use"];

    private long? _initTimestamp;
    private bool _textStreamedInMessage;
    private int _apiRetries;
    private string? _assistantError;
    private volatile bool _cancelRequested;

    public TurnContext Turn => turn;

    /// <summary>An <c>interrupt</c> is on its way: an aborted <c>result</c> now means cancelled (called off the read loop).</summary>
    public void RequestCancel() => _cancelRequested = true;

    public void OnMessage(JsonElement message)
    {
        switch (message.OneOf("type", MessageTypes))
        {
            case "system":
                OnSystem(message);
                break;
            case "stream_event" when message.Obj("event") is { } streamEvent:
                OnStreamEvent(streamEvent);
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
        }
    }

    private void OnSystem(JsonElement message)
    {
        switch (message.OneOf("subtype", SystemSubtypes))
        {
            case "init":
                _initTimestamp ??= timeProvider.GetTimestamp();
                break;
            case "status" when message.Is("status", "requesting"):
                turn.Clock.MarkSessionReady();
                break;
            case "api_retry":
                OnApiRetry(message);
                break;
        }
    }

    private void OnApiRetry(JsonElement message)
    {
        _apiRetries++;
        var status = message.Long("error_status");
        turn.Emit(new AgentNotice("api_retry",
            $"The agent retries its model call (attempt {message.Long("attempt")}, status {status}: {message.Str("error")})."));
        if (status is { } code && ProviderErrorClassifier.FromHttpStatus((int)code) is FailureReasons.Auth or FailureReasons.Balance)
        {
            // Claude Code 2.1 retries a 401/403 too (to refresh an OAuth login): with an API key that never heals,
            // so the turn fails now with the named reason instead of waiting out the retries.
            Fail(ProviderErrorClassifier.FromHttpStatus((int)code),
                $"The agent's model call failed with status {code}: {message.Str("error")}.");
        }
        else if (_apiRetries > maxProviderRetries)
        {
            Fail(FailureReasons.ApiRetriesExhausted,
                $"The agent retried its model call {_apiRetries} times (limit {maxProviderRetries}, MaxProviderRetries); " +
                $"last status {status}: {message.Str("error")}.");
        }
    }

    private void Fail(string reason, string description)
    {
        owner.RetireProcess();
        owner.CompleteTurn(TurnOutcome.Failed(reason, description, beforeOutput: !turn.HasOutput));
    }

    private void OnStreamEvent(JsonElement streamEvent)
    {
        switch (streamEvent.OneOf("type", StreamEventTypes))
        {
            case "message_start":
                _textStreamedInMessage = false;
                break;
            case "content_block_delta" when streamEvent.Obj("delta") is { } delta:
                if (delta.Is("type", "text_delta") && delta.Str("text") is { Length: > 0 } text)
                {
                    MarkFirstToken();
                    _textStreamedInMessage = true;
                    turn.EmitText(text);
                }
                else if (delta.Is("type", "thinking_delta") && delta.Str("thinking") is { Length: > 0 } thinking)
                {
                    turn.Emit(new ThoughtDelta(thinking));
                }

                break;
        }
    }

    private void OnAssistant(JsonElement message)
    {
        _assistantError = message.Str("error") ?? _assistantError;
        if (message.Obj("message") is { } body)
        {
            foreach (var block in body.Array("content"))
            {
                switch (block.OneOf("type", ContentBlockTypes))
                {
                    case "text" when !_textStreamedInMessage && _assistantError is null && block.Str("text") is { Length: > 0 } text:
                        MarkFirstToken();
                        turn.EmitText(text);
                        break;
                    case "tool_use":
                        turn.Emit(new ToolCallEvent(
                            block.Str("id") ?? "", block.Str("name"), null, "pending", block.Prop("input")?.Clone()));
                        break;
                }
            }
        }

        _textStreamedInMessage = false;
    }

    private void OnUser(JsonElement message)
    {
        if (message.Obj("message") is not { } body)
        {
            return;
        }

        foreach (var block in body.Array("content").Where(b => b.Is("type", "tool_result")))
        {
            turn.Emit(new ToolCallEvent(block.Str("tool_use_id") ?? "", null, null, block.Bool("is_error") ? "failed" : "completed", null));
        }
    }

    private void OnResult(JsonElement message)
    {
        var verdict = ClaudeResultClassifier.Classify(message, new ClaudeTurnFacts(_cancelRequested, _assistantError, turn.HasOutput));
        if (verdict.Usage is { } usage)
        {
            turn.Emit(usage);
        }

        if (verdict.UnstreamedText is { } text)
        {
            MarkFirstToken();
            turn.EmitText(text);
        }

        owner.CompleteTurn(verdict.Outcome);
    }

    private void MarkFirstToken()
    {
        // session_ready is `system/status requesting` when the CLI reports it, else `system/init`.
        if (_initTimestamp is { } init)
        {
            turn.Clock.MarkSessionReady(init);
        }
    }
}
