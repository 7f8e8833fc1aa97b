using System.Text.Json;
using Workers.Families.Claude;
using Workers.Turns;

namespace Workers.Tests.Families.Claude;

/// <summary>Every branch of the <c>result</c> classification, on <c>result</c> lines shaped as Claude Code 2.1 writes them
/// (<c>specs/families.md</c>; the simulated agent's <c>ClaudeTurn</c> writes the same).</summary>
public sealed class ClaudeResultClassifierTests
{
    private static readonly ClaudeTurnFacts Streamed = new(CancelRequested: false, AssistantError: null, HasOutput: true);
    private static readonly ClaudeTurnFacts Silent = new(CancelRequested: false, AssistantError: null, HasOutput: false);
    private static readonly ClaudeTurnFacts Cancelling = new(CancelRequested: true, AssistantError: null, HasOutput: true);

    private const string Success = """
        {"type":"result","subtype":"success","is_error":false,"duration_ms":74096,"duration_api_ms":71152,"num_turns":15,
         "result":"Done. The tests pass.","stop_reason":"end_turn","session_id":"22795ca6-5b1e-4c57-9a7e-1f0c2f3d4e5a",
         "total_cost_usd":0.2416735,
         "usage":{"input_tokens":18,"cache_creation_input_tokens":14760,"cache_read_input_tokens":169817,"output_tokens":2577,
                  "server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard",
                  "cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":14760}},
         "modelUsage":{"claude-opus-4-6":{"inputTokens":18,"outputTokens":2577}},
         "permission_denials":[],"terminal_reason":"completed","uuid":"0c7b3f9e-2d41-4a8e-b6f1-5e9d8c7a6b50"}
        """;

    private const string Interrupted = """
        {"type":"result","subtype":"error_during_execution","is_error":true,"duration_ms":912,"duration_api_ms":640,"num_turns":1,
         "stop_reason":null,"session_id":"22795ca6-5b1e-4c57-9a7e-1f0c2f3d4e5a","total_cost_usd":0.0012,
         "usage":{"input_tokens":3,"cache_creation_input_tokens":120,"cache_read_input_tokens":0,"output_tokens":7,
                  "service_tier":"standard"},
         "permission_denials":[],"terminal_reason":"aborted_streaming","errors":["Request interrupted by user"],
         "uuid":"5f0e1d2c-3b4a-4968-8776-a5b4c3d2e1f0"}
        """;

    private static JsonElement Line(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    private static string ApiError(string text, string? apiErrorStatus) => $$"""
        {"type":"result","subtype":"success","is_error":true,"duration_ms":1210,"duration_api_ms":1180,"num_turns":1,
         "result":"{{text}}","stop_reason":"stop_sequence","session_id":"22795ca6-5b1e-4c57-9a7e-1f0c2f3d4e5a","total_cost_usd":0,
         "usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0},
         "permission_denials":[],{{(apiErrorStatus is null ? "" : $"\"api_error_status\":{apiErrorStatus},")}}
         "terminal_reason":"completed","uuid":"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}
        """;

    [Fact]
    public void Classify_Success_SucceedsWithItsStopReason()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Success), Streamed);

        Assert.Equal(TurnStatus.Succeeded, verdict.Outcome.Status);
        Assert.Equal("end_turn", verdict.Outcome.StopReason);
        Assert.Null(verdict.Outcome.Reason);
        Assert.Null(verdict.UnstreamedText);
    }

    [Fact]
    public void Classify_SuccessWithResultTextButNoStreamedOutput_ShowsTheResultText()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Success), Silent);

        Assert.Equal(TurnStatus.Succeeded, verdict.Outcome.Status);
        Assert.Equal("Done. The tests pass.", verdict.UnstreamedText);
    }

    [Fact]
    public void Classify_SuccessWithEmptyResultAndNoOutput_ShowsNothing()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Success.Replace("Done. The tests pass.", "", StringComparison.Ordinal)), Silent);

        Assert.Equal(TurnStatus.Succeeded, verdict.Outcome.Status);
        Assert.Null(verdict.UnstreamedText);
    }

    [Fact]
    public void Classify_Usage_IsReportedAndCarriedByTheOutcome()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Success), Streamed);

        Assert.Equal(new UsageReported(InputTokens: 18, OutputTokens: 2577, CacheReadTokens: 169817, CacheCreationTokens: 14760),
            verdict.Usage);
        Assert.Same(verdict.Usage, verdict.Outcome.Usage);
    }

    [Fact]
    public void Classify_NoUsage_ReportsNone()
    {
        var line = """{"type":"result","subtype":"success","is_error":false,"result":"ok"}""";

        var verdict = ClaudeResultClassifier.Classify(Line(line), Streamed);

        Assert.Null(verdict.Usage);
        Assert.Null(verdict.Outcome.Usage);
        Assert.Null(verdict.Outcome.StopReason);
    }

    // The text matches no failure wording: the reason can only come from the field.
    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(402)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(529)]
    public void Classify_IsErrorWithApiErrorStatus_FailsWithTheReasonProviderErrorClassifierGivesTheStatus(int status)
    {
        var verdict = ClaudeResultClassifier.Classify(Line(ApiError("the model wandered off", status.ToString())), Silent);

        Assert.Equal(TurnStatus.Failed, verdict.Outcome.Status);
        Assert.Equal(ProviderErrorClassifier.FromHttpStatus(status), verdict.Outcome.Reason);
        Assert.NotEqual(FailureReasons.Unclassified, verdict.Outcome.Reason);
        Assert.Equal("The agent reported an error: the model wandered off", verdict.Outcome.Message);
        Assert.True(verdict.Outcome.BeforeOutput);
        Assert.Null(verdict.UnstreamedText);
    }

    [Fact]
    public void Classify_ApiErrorStatusAndAssistantErrorKind_TheStatusWins()
    {
        var facts = Silent with { AssistantError = "authentication_failed" };

        var verdict = ClaudeResultClassifier.Classify(Line(ApiError("API Error: 429 rate_limit_error", "429")), facts);

        Assert.Equal(FailureReasons.RateLimit, verdict.Outcome.Reason);
    }

    [Theory]
    [InlineData("authentication_failed")]
    [InlineData("billing_error")]
    [InlineData("rate_limit")]
    [InlineData("server_error")]
    [InlineData("invalid_request")]
    [InlineData("unknown")]
    public void Classify_IsErrorWithAssistantErrorKind_FailsWithTheReasonProviderErrorClassifierGivesTheKind(string kind)
    {
        // The text names another failure on purpose: the kind is a field, and fields win over text.
        var verdict = ClaudeResultClassifier.Classify(Line(ApiError("Overloaded", null)), Silent with { AssistantError = kind });

        Assert.Equal(TurnStatus.Failed, verdict.Outcome.Status);
        Assert.Equal(ProviderErrorClassifier.FromClaudeErrorKind(kind), verdict.Outcome.Reason);
        Assert.Equal("The agent reported an error: Overloaded", verdict.Outcome.Message);
    }

    [Theory]
    [InlineData("Invalid API key · Please run /login", FailureReasons.Auth)]
    [InlineData("API Error: 500 Internal server error", FailureReasons.ProviderError)]
    [InlineData("the model wandered off", FailureReasons.Unclassified)]
    public void Classify_IsErrorWithNeitherStatusNorKind_ClassifiesByText(string text, string reason)
    {
        var verdict = ClaudeResultClassifier.Classify(Line(ApiError(text, null)), Silent);

        Assert.Equal(reason, verdict.Outcome.Reason);
    }

    [Fact]
    public void Classify_IsErrorAfterOutput_IsNotBeforeOutput()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(ApiError("API Error: 500 Internal server error", "500")), Streamed);

        Assert.False(verdict.Outcome.BeforeOutput);
        Assert.NotNull(verdict.Outcome.Usage);
    }

    [Fact]
    public void Classify_ErrorDuringExecutionWithCancelRequested_IsCancelled()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Interrupted), Cancelling);

        Assert.Equal(TurnStatus.Cancelled, verdict.Outcome.Status);
        Assert.Equal(FailureReasons.Cancelled, verdict.Outcome.Reason);
        Assert.Equal("Interrupted at the producer's request.", verdict.Outcome.Message);
        Assert.Equal(new UsageReported(3, 7, 0, 120), verdict.Outcome.Usage);
    }

    [Fact]
    public void Classify_ErrorDuringExecutionWithoutCancelRequested_FailsAsAgentErrorNamingTheSubtype()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Interrupted), Streamed);

        Assert.Equal(TurnStatus.Failed, verdict.Outcome.Status);
        Assert.Equal(FailureReasons.AgentError, verdict.Outcome.Reason);
        Assert.Equal("The agent reported an error (error_during_execution): Request interrupted by user", verdict.Outcome.Message);
        Assert.False(verdict.Outcome.BeforeOutput);
    }

    [Theory]
    [InlineData("aborted_streaming")]
    [InlineData("aborted_tools")]
    public void Classify_AbortedTerminalReasonWithCancelRequested_IsCancelledWhateverTheSubtype(string terminalReason)
    {
        var line = Success.Replace("\"completed\"", $"\"{terminalReason}\"", StringComparison.Ordinal);

        Assert.Equal(TurnStatus.Cancelled, ClaudeResultClassifier.Classify(Line(line), Cancelling).Outcome.Status);
        Assert.Equal(TurnStatus.Succeeded, ClaudeResultClassifier.Classify(Line(line), Streamed).Outcome.Status);
    }

    [Fact]
    public void Classify_CompletedSuccessAfterCancelRequested_StaysASuccess()
    {
        var verdict = ClaudeResultClassifier.Classify(Line(Success), Cancelling);

        Assert.Equal(TurnStatus.Succeeded, verdict.Outcome.Status);
        Assert.Equal("end_turn", verdict.Outcome.StopReason);
    }

    [Fact]
    public void Classify_ErrorSubtypeWithErrors_JoinsThemIntoTheMessage()
    {
        var line = """
            {"type":"result","subtype":"error_max_turns","is_error":true,"duration_ms":30211,"num_turns":3,"stop_reason":null,
             "session_id":"22795ca6-5b1e-4c57-9a7e-1f0c2f3d4e5a","permission_denials":[],"terminal_reason":"max_turns",
             "errors":["Reached maximum number of turns (2)","Tool use was still pending"]}
            """;

        var verdict = ClaudeResultClassifier.Classify(Line(line), Silent);

        Assert.Equal(FailureReasons.AgentError, verdict.Outcome.Reason);
        Assert.Equal("The agent reported an error (error_max_turns): Reached maximum number of turns (2); Tool use was still pending",
            verdict.Outcome.Message);
        Assert.True(verdict.Outcome.BeforeOutput);
    }

    /// <summary>A hostile or broken agent's <c>errors</c> may hold anything: each item is shown as text, never thrown on (a
    /// number there used to throw out of the decoder and fail the turn as undecodable output).</summary>
    [Fact]
    public void Classify_ErrorsThatAreNotAllStrings_ShowsEachAsText()
    {
        var line = """
            {"type":"result","subtype":"error_during_execution","is_error":true,"num_turns":1,"stop_reason":null,
             "session_id":"22795ca6-5b1e-4c57-9a7e-1f0c2f3d4e5a","errors":[42,{"a":1},"half \ud83d emoji",null]}
            """;

        var verdict = ClaudeResultClassifier.Classify(Line(line), Silent);

        Assert.Equal(FailureReasons.AgentError, verdict.Outcome.Reason);
        Assert.EndsWith("42; {\"a\":1}; half \uFFFD emoji; null", verdict.Outcome.Message, StringComparison.Ordinal);
    }
}
