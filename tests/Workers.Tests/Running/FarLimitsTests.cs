using Workers.Pooling;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>Limits past what a .NET timer takes (about 49.7 days), from a producer's deadline or a setting, and a deadline
/// already past: the turn runs or fails by its own reason, never by a timer that refused its delay (issue 12, defect 1).</summary>
public sealed class FarLimitsTests : IAsyncDisposable
{
    private static readonly TimeSpan FarAhead = TimeSpan.FromDays(60);

    private ScriptedRunner _scripted = new(maxProcesses: 4);

    [Fact]
    public async Task FarDeadlines_OnEveryProcessOfThePool_RunAndLeaveThePoolServing()
    {
        // Arrange: as many far-deadline turns as the pool has slots (each used to throw and, before issue 11, keep its slot).
        var pool = _scripted.Pool;
        pool.Start();
        var deadline = _scripted.Time.GetUtcNow() + FarAhead;

        // Act
        var results = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => RunAsync($"far-{i}", deadline)));

        // Assert: each ran, no process stays leased, and the next turn of the profile is served.
        Assert.All(results, r => Assert.Equal(TurnStatus.Succeeded, r.Status));
        Assert.Equal(0, pool.Snapshot().CountIn(PoolProcessState.Leased));
        Assert.Equal(TurnStatus.Succeeded, (await RunAsync("after", deadline: null)).Status);
    }

    [Fact]
    public async Task TimeoutsPastTheTimerMaximum_RunTheTurn()
    {
        // Arrange: every limit of the profile further than a timer takes.
        await _scripted.DisposeAsync();
        _scripted = new ScriptedRunner(maxProcesses: 1, configure: profile =>
        {
            (profile.Timeouts.Ready, profile.Timeouts.FirstToken, profile.Timeouts.Turn) = (FarAhead, FarAhead, FarAhead);
            (profile.Timeouts.Cancel, profile.Timeouts.GracefulStop) = (FarAhead, FarAhead);
            (profile.Pool.StartTimeout, profile.Pool.LeaseTimeout) = (FarAhead, FarAhead);
        });
        _scripted.Pool.Start();

        // Act
        var result = await RunAsync("far-timeouts", deadline: null);

        // Assert
        Assert.Equal(TurnStatus.Succeeded, result.Status);
        var snapshot = _scripted.Pool.Snapshot();
        Assert.Equal(1, snapshot.CountIn(PoolProcessState.Ready) + snapshot.CountIn(PoolProcessState.Bound));
    }

    [Fact]
    public async Task DeadlineAlreadyPast_FailsWithTheDeadlineReason_WithoutSendingThePrompt()
    {
        // Arrange: a turn whose deadline passed before its prompt could be sent (it waited for a process, say).
        _scripted.Pool.Start();
        var connection = Assert.Single(_scripted.Launcher.Launched);

        // Act
        var result = await RunAsync("late", _scripted.Time.GetUtcNow() - TimeSpan.FromSeconds(1));

        // Assert
        Assert.Equal(TurnStatus.Failed, result.Status);
        Assert.Equal(FailureReasons.DeadlineExceeded, result.Reason);
        Assert.Empty(connection.Prompts);
    }

    private Task<TurnResult> RunAsync(string id, DateTimeOffset? deadline) =>
        _scripted.Runner.RunAsync(
            new TurnRequest { Id = id, ConversationId = $"c-{id}", Profile = "p", Prompt = "hello", Deadline = deadline },
            new EventList(), TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _scripted.DisposeAsync();
}
