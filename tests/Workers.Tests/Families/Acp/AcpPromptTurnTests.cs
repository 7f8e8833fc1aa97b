using System.Text.Json;
using Workers.Families.Acp;
using Workers.Turns;

namespace Workers.Tests.Families.Acp;

public sealed class AcpPromptTurnTests
{
    private readonly RecordedTurn _turn = new();

    private TurnOutcome OutcomeOf(string answer) => AcpPromptTurn.OutcomeOf(_turn.Context, JsonDocument.Parse(answer).RootElement);

    [Fact]
    public void Answer_WithAStopReason_SucceedsWithItAndItsUsage()
    {
        var outcome = OutcomeOf("""
            {"stopReason":"end_turn","usage":{"inputTokens":10,"outputTokens":5,"cachedReadTokens":3,"cachedWriteTokens":2}}
            """);

        Assert.Equal(TurnStatus.Succeeded, outcome.Status);
        Assert.Equal("end_turn", outcome.StopReason);
        var usage = Assert.IsType<UsageReported>(Assert.Single(_turn.Events));
        Assert.Equal((10L, 5L, 3L, 2L), (usage.InputTokens, usage.OutputTokens, usage.CacheReadTokens, usage.CacheCreationTokens));
        Assert.Equal(usage.ToUsage(), outcome.Usage!.ToUsage());
    }

    [Fact]
    public void Answer_WithUsageOnlyInGeminisQuota_ReportsThat()
    {
        var outcome = OutcomeOf("""{"stopReason":"end_turn","_meta":{"quota":{"token_count":{"input_tokens":7,"output_tokens":4}}}}""");

        var usage = Assert.IsType<UsageReported>(Assert.Single(_turn.Events));
        Assert.Equal((7L, 4L, (long?)null, (long?)null), (usage.InputTokens, usage.OutputTokens, usage.CacheReadTokens, usage.CacheCreationTokens));
        Assert.Equal(usage.ToUsage(), outcome.Usage!.ToUsage());
    }

    [Fact]
    public void Answer_WithoutUsage_EmitsNoUsage()
    {
        Assert.Equal(TurnStatus.Succeeded, OutcomeOf("""{"stopReason":"max_tokens"}""").Status);
        Assert.Empty(_turn.Events);
    }

    [Fact]
    public void Answer_Cancelled_EndsTheTurnCancelled()
    {
        var outcome = OutcomeOf("""{"stopReason":"cancelled"}""");

        Assert.Equal(TurnStatus.Cancelled, outcome.Status);
        Assert.Equal(FailureReasons.Cancelled, outcome.Reason);
    }

    [Fact]
    public void Answer_WithoutAStopReason_IsAProtocolError_BeforeOutputWhenNoneWasShown()
    {
        var outcome = OutcomeOf("{}");

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProtocolError, true), (outcome.Status, outcome.Reason, outcome.BeforeOutput));
    }

    [Fact]
    public void Answer_WithoutAStopReason_AfterText_IsNotBeforeOutput()
    {
        _turn.Context.EmitText("partial");

        Assert.False(OutcomeOf("{}").BeforeOutput);
    }

    [Theory]
    [InlineData(-32000, "Authentication required", null, FailureReasons.Auth)]
    [InlineData(401, "Unauthorized", null, FailureReasons.Auth)]
    [InlineData(-32603, "Internal error", "{\"details\":\"API Error: 429 rate limited\"}", FailureReasons.RateLimit)]
    [InlineData(-32603, "Internal error", "{\"details\":\"something odd\"}", FailureReasons.AgentError)]
    public void ErrorAnswer_FailsByItsClassifiedReason_ElseAgentError(int code, string message, string? data, string reason)
    {
        var outcome = AcpPromptTurn.OutcomeOf(_turn.Context, AcpSessionsTests.Answer(code, message, data));

        Assert.Equal((TurnStatus.Failed, reason, true), (outcome.Status, outcome.Reason, outcome.BeforeOutput));
        Assert.StartsWith($"The agent answered the prompt with error {code}: {message}", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbortBeforeTheAnswer_WinsOverTheAnswerThatFollowsIt()
    {
        // An oversized line aborts the turn; the prompt's answer on the next line completes the prompt too. The filter takes
        // lines in order, so whenever both are complete the abort came first: the turn must end with it.
        var aborted = TurnOutcome.Failed(FailureReasons.ProtocolError, "The agent wrote a 9000000-byte line.", beforeOutput: true);
        var answer = JsonDocument.Parse("""{"stopReason":"end_turn"}""").RootElement;

        var outcome = await AcpPromptTurn.SettleAsync(_turn.Context, Task.FromResult(answer), Task.FromResult(aborted));

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProtocolError), (outcome.Status, outcome.Reason));
    }
}
