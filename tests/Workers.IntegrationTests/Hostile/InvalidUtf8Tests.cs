using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>A pooled agent writes stdout that is not Unicode text: a whole line of bytes that are not UTF-8, raw invalid bytes
/// inside a JSON string, and a lone surrogate escape (<c>\ud83d</c>, valid JSON that <c>JSON.stringify</c> writes for half an
/// emoji). The rule (<c>specs/security.md</c>, "Hostile agents"): what cannot be decoded becomes U+FFFD, as the ACP SDKs' own
/// decoders do; a line that is then no JSON object is skipped with a notice; no exception reaches the turn, which succeeds; and
/// the process serves the conversation's next turn as if nothing happened. Before the lenient read, the lone surrogate threw out
/// of the decoder and failed the turn <c>protocol_error</c> ("Could not decode agent output"), retiring the process.</summary>
public sealed class InvalidUtf8Tests
{
    [Theory(Timeout = 60_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task TextThatIsNotUnicode_BecomesReplacementCharacters_AndTheProcessServesTheNextTurn(string family)
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);
        var events = new EventCollector();

        // Act
        var hostile = await pools.RunAsync(family, "hello [[sim:invalid-utf8]]", "conversation-a", events,
            cancellationToken: cancellationToken);
        var next = await pools.RunAsync(family, "again", "conversation-a", cancellationToken: cancellationToken);

        // Assert
        Assert.True(hostile.Status == TurnStatus.Succeeded, $"{hostile.Status} {hostile.Reason}: {hostile.Message}");
        Assert.StartsWith("caf\uFFFD( \uFFFD!\uFFFD!Echo: hello", hostile.Text, StringComparison.Ordinal);
        var notice = Assert.Single(events.OfType<AgentNotice>(), n => n.Code == "unparsable_line");
        Assert.Contains("\uFFFD(\uFFFD\uFFFD\uFFFD\uFFFD", notice.Message, StringComparison.Ordinal);
        Assert.Equal(TurnStatus.Succeeded, next.Status);
        Assert.Equal(hostile.ProcessId, next.ProcessId);
        Assert.StartsWith("Echo: again", next.Text, StringComparison.Ordinal);
    }
}
