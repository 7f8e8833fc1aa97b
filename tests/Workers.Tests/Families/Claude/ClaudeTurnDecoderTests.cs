using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Workers.Families.Claude;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Tests.Families.Claude;

/// <summary>One turn's stream-json lines, shaped as Claude Code 2.1 writes them with <c>--include-partial-messages</c>
/// (the simulated agent's <c>ClaudeMessages</c> writes the same), decoded into the turn's events and outcome.</summary>
public sealed class ClaudeTurnDecoderTests
{
    private const string Session = "3a0a5584-7d2e-4b1f-9c8a-6e5d4c3b2a19";
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingSink _sink = new();
    private readonly RecordingOwner _owner = new();
    private readonly TurnContext _turn;
    private readonly ClaudeTurnDecoder _decoder;

    public ClaudeTurnDecoderTests()
    {
        _turn = new TurnContext("turn-1", "hello", "/srv/project", new TurnClock(_time), _sink, new PermissionPolicy());
        _decoder = new ClaudeTurnDecoder(_turn, _owner, maxProviderRetries: 2, _time);
    }

    private const string Init = $$$"""
        {"type":"system","subtype":"init","session_id":"{{{Session}}}","uuid":"u1","cwd":"/srv/project","model":"claude-sonnet-4-5",
         "tools":["Bash","Read"],"mcp_servers":[],"permissionMode":"default","apiKeySource":"none","claude_code_version":"2.1.197"}
        """;

    private const string Requesting = $$$"""
        {"type":"system","subtype":"status","status":"requesting","session_id":"{{{Session}}}","uuid":"u2"}
        """;

    private const string MessageStart = $$$"""
        {"type":"stream_event","uuid":"u3","session_id":"{{{Session}}}","parent_tool_use_id":null,
         "event":{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[]}}
        }
        """;

    private const string Success = $$$"""
        {"type":"result","subtype":"success","is_error":false,"num_turns":1,"result":"Hello","stop_reason":"end_turn",
         "session_id":"{{{Session}}}",
         "usage":{"input_tokens":3,"cache_creation_input_tokens":40,"cache_read_input_tokens":0,"output_tokens":2},
         "permission_denials":[],"terminal_reason":"completed"}
        """;

    private static string TextDelta(string text) => $$$"""
        {"type":"stream_event","uuid":"u4","session_id":"{{{Session}}}","parent_tool_use_id":null,
         "event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"{{{text}}}"}}
        }
        """;

    private static string Assistant(string block, string? error = null) => $$$"""
        {"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
         "content":[{{{block}}}],"stop_reason":"end_turn"},{{{(error is null ? "" : $"\"error\":\"{error}\",")}}}
         "parent_tool_use_id":null,"session_id":"{{{Session}}}","uuid":"u5"}
        """;

    private static string ApiRetry(int attempt, int status) => $$$"""
        {"type":"system","subtype":"api_retry","attempt":{{{attempt}}},"max_retries":10,"retry_delay_ms":500,
         "error_status":{{{status}}},"error":"server_error","session_id":"{{{Session}}}","uuid":"u6"}
        """;

    private void Feed(params string[] lines)
    {
        foreach (var line in lines)
        {
            _decoder.OnMessage(JsonSerializer.Deserialize<JsonElement>(line));
        }
    }

    private string[] Texts() => [.. _sink.Events.OfType<TextDelta>().Select(e => e.Text)];

    [Fact]
    public void OnMessage_StreamedText_IsEmittedOnceNotRepeatedByTheAssistantMessage()
    {
        Feed(Init, Requesting, MessageStart, TextDelta("Hel"), TextDelta("lo"), Assistant("""{"type":"text","text":"Hello"}"""), Success);

        Assert.Equal(["Hel", "lo"], Texts());
        Assert.Equal("Hello", _turn.Text);
        Assert.Equal(TurnStatus.Succeeded, _owner.Outcome?.Status);
    }

    [Fact]
    public void OnMessage_AssistantTextNotStreamed_IsEmitted()
    {
        Feed(Init, Assistant("""{"type":"text","text":"Hello"}"""), Success);

        Assert.Equal(["Hello"], Texts());
    }

    [Fact]
    public void OnMessage_ResultOfATurnWithoutOutput_EmitsUsageThenTheResultTextThenCompletes()
    {
        Feed(Init, Success);

        Assert.IsType<UsageReported>(_sink.Events[0]);
        Assert.Equal("Hello", Assert.IsType<TextDelta>(_sink.Events[1]).Text);
        Assert.Equal(["complete"], _owner.Calls);
    }

    [Fact]
    public void OnMessage_ThinkingDelta_IsAThought()
    {
        Feed($$$"""
            {"type":"stream_event","uuid":"u7","session_id":"{{{Session}}}","parent_tool_use_id":null,
             "event":{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me see."}}
            }
            """);

        Assert.Equal("Let me see.", Assert.IsType<ThoughtDelta>(Assert.Single(_sink.Events)).Text);
    }

    [Fact]
    public void OnMessage_ToolUseAndToolResults_AreToolCalls()
    {
        Feed(Assistant("""{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/srv/project/a.py"}}"""),
            $$$"""
            {"type":"user","message":{"role":"user","content":[
              {"tool_use_id":"toolu_1","type":"tool_result","content":"print(1)","is_error":false},
              {"tool_use_id":"toolu_2","type":"tool_result","content":"denied","is_error":true}]},
             "parent_tool_use_id":null,"session_id":"{{{Session}}}","uuid":"u8"}
            """);

        var calls = _sink.Events.OfType<ToolCallEvent>().ToList();
        Assert.Equal(("toolu_1", "Read", "pending"), (calls[0].ToolCallId, calls[0].Name, calls[0].Status));
        Assert.Equal("/srv/project/a.py", calls[0].Input?.GetProperty("file_path").GetString());
        Assert.Equal(("toolu_1", "completed"), (calls[1].ToolCallId, calls[1].Status));
        Assert.Equal(("toolu_2", "failed"), (calls[2].ToolCallId, calls[2].Status));
    }

    [Fact]
    public void OnMessage_AssistantWithErrorKind_ShowsNoTextAndTheResultFailsByTheKind()
    {
        // Claude Code's synthetic message for a failed model call; this result names no api_error_status.
        Feed(Init, Assistant("""{"type":"text","text":"Invalid API key · Please run /login"}""", error: "authentication_failed"),
            $$$"""
            {"type":"result","subtype":"success","is_error":true,"result":"Invalid API key · Please run /login",
             "stop_reason":"stop_sequence","session_id":"{{{Session}}}","terminal_reason":"completed"}
            """);

        Assert.Empty(Texts());
        Assert.Equal(FailureReasons.Auth, _owner.Outcome?.Reason);
        Assert.True(_owner.Outcome?.BeforeOutput);
    }

    [Theory]
    [InlineData(401, FailureReasons.Auth)]
    [InlineData(402, FailureReasons.Balance)]
    public void OnMessage_ApiRetryWithAnUnhealableStatus_RetiresTheProcessThenFailsTheTurn(int status, string reason)
    {
        Feed(Init, ApiRetry(1, status));

        Assert.Equal(["retire", "complete"], _owner.Calls);
        Assert.Equal(reason, _owner.Outcome?.Reason);
        Assert.Equal("api_retry", Assert.IsType<AgentNotice>(Assert.Single(_sink.Events)).Code);
    }

    [Fact]
    public void OnMessage_ApiRetriesPastMaxProviderRetries_FailAsApiRetriesExhausted()
    {
        Feed(Init, ApiRetry(1, 500), ApiRetry(2, 500));
        Assert.Empty(_owner.Calls);

        Feed(ApiRetry(3, 500));

        Assert.Equal(["retire", "complete"], _owner.Calls);
        Assert.Equal(FailureReasons.ApiRetriesExhausted, _owner.Outcome?.Reason);
        Assert.Equal(3, _sink.Events.OfType<AgentNotice>().Count());
    }

    [Fact]
    public void OnMessage_FirstTokenWithoutStatusLine_SessionIsReadyAtTheInit()
    {
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Feed(Init);
        _time.Advance(TimeSpan.FromMilliseconds(300));
        Feed(MessageStart, TextDelta("Hi"));

        var timing = _turn.Clock.Compute();
        Assert.Equal(TimeSpan.FromMilliseconds(100), timing.SessionInit);
        Assert.Equal(TimeSpan.FromMilliseconds(300), timing.ModelFirstToken);
    }

    [Fact]
    public void OnMessage_StatusRequesting_SessionIsReadyThen()
    {
        Feed(Init);
        _time.Advance(TimeSpan.FromMilliseconds(250));
        Feed(Requesting);
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Feed(MessageStart, TextDelta("Hi"));

        Assert.Equal(TimeSpan.FromMilliseconds(250), _turn.Clock.Compute().SessionInit);
    }

    [Fact]
    public void OnMessage_InterruptedResultAfterRequestCancel_IsCancelled()
    {
        Feed(Init, MessageStart, TextDelta("Hel"));
        _decoder.RequestCancel();

        Feed($$$"""
            {"type":"result","subtype":"error_during_execution","is_error":true,"num_turns":1,"session_id":"{{{Session}}}",
             "permission_denials":[],"terminal_reason":"aborted_streaming","errors":["Request interrupted by user"]}
            """);

        Assert.Equal(TurnStatus.Cancelled, _owner.Outcome?.Status);
    }

    private sealed class RecordingOwner : IClaudeTurnOwner
    {
        public List<string> Calls { get; } = [];

        public TurnOutcome? Outcome { get; private set; }

        public void CompleteTurn(TurnOutcome outcome)
        {
            Calls.Add("complete");
            Outcome ??= outcome;
        }

        public void RetireProcess() => Calls.Add("retire");
    }
}
