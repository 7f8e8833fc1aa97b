using Workers.Pooling;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>The pooled runner's hold on a leased process: whatever ends an attempt, the process goes back to the pool's
/// bookkeeping, so no slot is lost for good (issue 11); a cancel that lands before its own handling still ends the turn
/// cancelled (issue 12).</summary>
public sealed class PooledTurnRunnerTests : IAsyncDisposable
{
    private readonly ScriptedRunner _scripted = new(maxProcesses: 1);

    [Fact]
    public async Task AttemptThatThrows_RetiresItsProcess_AndTheNextTurnGetsAnother()
    {
        // Arrange: the only process the pool may hold throws when its turn runs.
        var pool = _scripted.Pool;
        pool.Start();
        var broken = Assert.Single(_scripted.Launcher.Launched);
        broken.TurnThrows = new InvalidOperationException("A bug of ours.");

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync("t1"));

        // Assert: the process left the pool instead of staying leased, and the slot serves the next turn.
        Assert.Equal("A bug of ours.", error.Message);
        Assert.Equal(0, pool.Snapshot().CountIn(PoolProcessState.Leased));
        Assert.True(broken.Disposed || pool.Snapshot().Processes.All(p => p.Pid != broken.ScriptedProcess.ProcessId));
        var next = await RunAsync("t2");
        Assert.Equal(TurnStatus.Succeeded, next.Status);
    }

    [Fact]
    public async Task CancelBeforeTheSessionLookup_EndsTheTurnCancelled_WithItsTerminalEvent()
    {
        // Arrange: the cancel is in before the runner looks up the conversation's session (a re-claim with a pending cancel).
        _scripted.Pool.Start();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var events = new EventList();

        // Act
        var result = await _scripted.Runner.RunAsync(new TurnRequest { Id = "t1", ConversationId = "c1", Profile = "p", Prompt = "hello" },
            events, cancelled.Token);

        // Assert: no exception escaped; the turn ended cancelled, without a prompt sent.
        Assert.Equal((TurnStatus.Cancelled, FailureReasons.Cancelled), (result.Status, result.Reason));
        Assert.IsType<TurnCancelled>(Assert.Single(events.All));
        Assert.Empty(Assert.Single(_scripted.Launcher.Launched).Prompts);
    }

    private Task<TurnResult> RunAsync(string id) =>
        _scripted.Runner.RunAsync(new TurnRequest { Id = id, ConversationId = $"c-{id}", Profile = "p", Prompt = "hello" }, new DiscardingSink(),
            TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _scripted.DisposeAsync();

    private sealed class DiscardingSink : ITurnEventSink
    {
        public void OnEvent(TurnEvent turnEvent)
        {
        }
    }
}
