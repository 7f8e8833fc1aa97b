using System.Text.Json;
using System.Text.Json.Serialization;

namespace Workers.Turns;

/// <summary>One event of a turn, in the common model every family driver decodes into. Producers read
/// these in order; <see cref="Sequence"/> is the turn's own numbering.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TextDelta), "text_delta")]
[JsonDerivedType(typeof(ThoughtDelta), "thought_delta")]
[JsonDerivedType(typeof(ToolCallEvent), "tool_call")]
[JsonDerivedType(typeof(PermissionRequested), "permission_requested")]
[JsonDerivedType(typeof(PermissionAnswered), "permission_answered")]
[JsonDerivedType(typeof(UsageReported), "usage")]
[JsonDerivedType(typeof(SessionStarted), "session")]
[JsonDerivedType(typeof(AgentNotice), "notice")]
[JsonDerivedType(typeof(AttemptStarted), "attempt")]
[JsonDerivedType(typeof(RetryStarted), "retry")]
[JsonDerivedType(typeof(TurnCompleted), "completed")]
[JsonDerivedType(typeof(TurnFailed), "failed")]
[JsonDerivedType(typeof(TurnCancelled), "cancelled")]
public abstract record TurnEvent
{
    private long _sequence;

    /// <summary>The event's position in its turn, from 1; assigned when the event is emitted.</summary>
    public long Sequence
    {
        get => _sequence;
        init => _sequence = value;
    }

    /// <summary>This event numbered <paramref name="sequence"/>: itself when it has no number yet (the event a driver just
    /// made, so that emitting it copies nothing), else a copy, so that an event that was handed on keeps its number.</summary>
    internal TurnEvent Numbered(long sequence)
    {
        if (_sequence != 0)
        {
            return this with { Sequence = sequence };
        }

        _sequence = sequence;
        return this;
    }

    /// <summary>True for the event that ends a turn.</summary>
    [JsonIgnore]
    public bool IsTerminal => this is TurnCompleted or TurnFailed or TurnCancelled;
}

/// <summary>Model text, as the agent streamed it.</summary>
public sealed record TextDelta(string Text) : TurnEvent;

/// <summary>Model reasoning text (ACP <c>agent_thought_chunk</c>, Claude <c>thinking_delta</c>).</summary>
public sealed record ThoughtDelta(string Text) : TurnEvent;

/// <summary>A tool call the agent made or updated.</summary>
public sealed record ToolCallEvent(string ToolCallId, string? Name, string? Kind, string? Status, JsonElement? Input) : TurnEvent;

/// <summary>The agent asked permission for a tool.</summary>
public sealed record PermissionRequested(string? ToolCallId, string? ToolName, string? Title) : TurnEvent;

/// <summary>The service answered a permission request by policy.</summary>
public sealed record PermissionAnswered(string? ToolCallId, string Decision, string? OptionId) : TurnEvent;

/// <summary>Token usage as the agent reported it; cache counts feed the prompt-cache hit ratio. <c>InputTokens</c> is the
/// uncached input (Anthropic's meaning; codex's OpenAI-style total is reduced by its cached part).</summary>
public sealed record UsageReported(long? InputTokens, long? OutputTokens, long? CacheReadTokens, long? CacheCreationTokens) : TurnEvent
{
    public TokenUsage ToUsage() => new(InputTokens, OutputTokens, CacheReadTokens, CacheCreationTokens);
}

/// <summary>The agent session the turn runs in, how it was obtained, and what it holds of the conversation
/// (<c>Fidelity</c>: <c>first</c>, <c>live</c>, <c>resumed</c>, <c>transcript</c> or <c>none</c>).</summary>
public sealed record SessionStarted(string SessionId, string Session, string Process, string? Fidelity = null) : TurnEvent;

/// <summary>Something the service noticed about the agent's output that did not end the turn (a skipped
/// unparsable line, a provider retry).</summary>
public sealed record AgentNotice(string Code, string Message) : TurnEvent;

/// <summary>A new attempt of the turn begins (the previous one lost its process or its worker).</summary>
public sealed record AttemptStarted(int Attempt, string? Reason) : TurnEvent;

/// <summary>The turn re-runs on another process and a new session, in the same attempt, because its process died after
/// streaming only text: readers discard the text received since the last <see cref="SessionStarted"/>.</summary>
/// <param name="Reason">The failure that ended the lost run (<c>process_exit_mid_stream</c>, <c>process_stopped</c>).</param>
/// <param name="Message">What happened, in words.</param>
public sealed record RetryStarted(string Reason, string Message) : TurnEvent;

/// <summary>The turn succeeded.</summary>
public sealed record TurnCompleted(string Text, string? StopReason) : TurnEvent;

/// <summary>The turn failed; <see cref="Reason"/> is from the failure taxonomy.</summary>
public sealed record TurnFailed(string Reason, string Message) : TurnEvent;

/// <summary>The turn was cancelled.</summary>
public sealed record TurnCancelled(string? Message) : TurnEvent;
