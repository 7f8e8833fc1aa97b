using Workers.Pooling;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>The pooled runner's hold on a leased process: whatever ends an attempt, the process goes back to the pool's
/// bookkeeping, so no slot is lost for good (issue 11).</summary>
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
