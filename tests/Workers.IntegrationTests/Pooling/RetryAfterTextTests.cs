using Workers.Families;
using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary>A real simulated agent that dies after streaming text only (<c>crash-once:mid-stream</c>: the first process
/// crashes, later ones do not): the turn succeeds on another process in a new session fed the transcript, behind a
/// <c>retry</c> event after which the text is the whole answer (issue 11, item 5).</summary>
public sealed class RetryAfterTextTests
{
    [Theory(Timeout = 60_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task ContinuedTurn_ProcessDiesAfterText_SucceedsOnAnotherProcessInANewSessionWithTheTranscript(string family)
    {
        // Arrange: the conversation's first turn leaves its process bound with a live session; a second process is ready.
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p => (p.Pool.MinReady, p.Pool.MaxReady) = (2, 2));
        var pools = sim.Pools();
        await pools.WarmAsync(2, TestContext.Current.CancellationToken);
        var first = await pools.RunAsync(family, "hello", "conv", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(TurnStatus.Succeeded, first.Status);
        TranscriptMessage[] transcript = [new("user", "hello"), new("assistant", first.Text!)];
        var events = new EventCollector();

        // Act
        var result = await pools.RunAsync(family, "again [[sim:crash-once:mid-stream]]", "conv", events, transcript,
            TestContext.Current.CancellationToken);

        // Assert: text, then the retry, then the new session's whole answer, which is the turn's.
        Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Status} {result.Reason}: {result.Message}");
        Assert.Equal((2, FallbackReasons.RetriedAfterText), (result.Attempts, result.FallbackReason));
        var all = events.Events;
        var retryAt = all.ToList().FindIndex(e => e is RetryStarted);
        Assert.Equal(FailureReasons.ProcessExitMidStream, ((RetryStarted)all[retryAt]).Reason);
        Assert.NotEmpty(all.Take(retryAt).OfType<TextDelta>());
        var rerun = all.Skip(retryAt + 1).ToList();
        Assert.Equal(result.Text, string.Concat(rerun.OfType<TextDelta>().Select(t => t.Text)));
        Assert.StartsWith("Echo: The conversation so far", result.Text, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence));

        var (lost, retried) = (all.OfType<SessionStarted>().First(), Assert.IsType<SessionStarted>(rerun[0]));
        Assert.Equal((first.SessionId, StartKinds.Live), (lost.SessionId, lost.Session));
        Assert.NotEqual(first.SessionId, retried.SessionId);
        Assert.NotEqual(first.ProcessId, result.ProcessId);
        var saved = await pools.Sessions.FindAsync("conv", family, TestContext.Current.CancellationToken);
        Assert.Equal(retried.SessionId, saved!.AgentSessionId);
        Assert.Equal(1, pools[family].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.TurnFailed));
    }
}
