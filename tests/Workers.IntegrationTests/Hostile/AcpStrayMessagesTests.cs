using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>A pooled ACP agent talks past its turn over a real JSON-RPC connection: it answers requests the client never
/// made (ids of every shape, a second answer to <c>initialize</c>, an error with a null id), and it sends updates and requests
/// for a session nobody opened on the process. None of it ends, fails or enters the turn; the connection survives, and the
/// process serves the conversation's next turn (<c>specs/security.md</c>, "Hostile agents"). Before the fix, the first stray
/// answer made StreamJsonRpc drop the connection ("A response was received without a request having been sent"): the turn
/// failed, and so did its retries; and the foreign permission request was shown, decided and recorded as the turn's.</summary>
public sealed class AcpStrayMessagesTests
{
    private const string ForeignText = "FOREIGN-TEXT";

    [Fact(Timeout = 60_000)]
    public async Task ResponsesToRequestsNeverMade_AreIgnored_AndTheConnectionServesTheNextTurn()
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);
        var events = new EventCollector();

        // Act
        var stray = await pools.RunAsync(Acp, "hello [[sim:stray-responses]]", "conversation-a", events,
            cancellationToken: cancellationToken);
        var next = await pools.RunAsync(Acp, "again", "conversation-a", cancellationToken: cancellationToken);

        // Assert: the stray `end_turn` answer did not end the turn early; the whole reply came.
        Assert.True(stray.Status == TurnStatus.Succeeded, $"{stray.Status} {stray.Reason}: {stray.Message}");
        Assert.Equal("Echo: hello lorem ipsum dolor sit amet lorem", stray.Text);
        // Well-formed answers to no waiting request are dropped without a word to the turn (they are not its); the five whose
        // ids StreamJsonRpc cannot even read are skipped like unparsable lines.
        var notices = events.OfType<AgentNotice>().ToList();
        Assert.Equal(5, notices.Count);
        Assert.All(notices, n =>
            Assert.StartsWith("Skipped a line that is not a JSON-RPC message: its id is neither", n.Message, StringComparison.Ordinal));
        Assert.Equal(TurnStatus.Succeeded, next.Status);
        Assert.Equal(stray.ProcessId, next.ProcessId);
        Assert.Equal("Echo: again lorem ipsum dolor sit amet lorem", next.Text);
    }

    [Fact(Timeout = 60_000)]
    public async Task UpdatesAndRequestsForAnotherSession_NeverReachTheTurn_AndItsRequestsAreRefused()
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);
        var events = new EventCollector();

        // Act
        var foreign = await pools.RunAsync(Acp, "hello [[sim:foreign-session]]", "conversation-a", events,
            cancellationToken: cancellationToken);
        var next = await pools.RunAsync(Acp, "again", "conversation-a", cancellationToken: cancellationToken);

        // Assert: nothing of the foreign session became a turn event, and nothing was decided or recorded for it.
        Assert.True(foreign.Status == TurnStatus.Succeeded, $"{foreign.Status} {foreign.Reason}: {foreign.Message}");
        Assert.DoesNotContain(ForeignText, foreign.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(events.OfType<ThoughtDelta>(), t => t.Text.Contains(ForeignText, StringComparison.Ordinal));
        Assert.Empty(events.OfType<ToolCallEvent>());
        Assert.Empty(events.OfType<PermissionRequested>());
        Assert.Empty(events.OfType<PermissionAnswered>());
        Assert.Equal(0, events.ToolUseCommits);
        // The agent's own report of the answers it got (specs/simagent.md, foreign-session): each request refused.
        Assert.Contains("foreign:session/request_permission => error -32602 ", foreign.Text, StringComparison.Ordinal);
        Assert.Contains("foreign:fs/read_text_file => error -32602 ", foreign.Text, StringComparison.Ordinal);
        Assert.Contains("foreign:fs/write_text_file => error -32602 ", foreign.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(sim.Catalog.Get(Acp).DefaultWorkingDirectory, "foreign.txt")));
        Assert.Equal(TurnStatus.Succeeded, next.Status);
        Assert.Equal(foreign.ProcessId, next.ProcessId);
    }
}
