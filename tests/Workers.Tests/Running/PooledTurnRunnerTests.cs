using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Running;
using Workers.Sessions;
using Workers.Tests.Pooling.Scripted;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>The pooled runner's hold on a leased process: whatever ends an attempt, the process goes back to the pool's
/// bookkeeping, so no slot is lost for good (issue 11).</summary>
public sealed class PooledTurnRunnerTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("workers-runner-tests-").FullName;
    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedLauncher _launcher;
    private readonly PoolRegistry _pools;
    private readonly PooledTurnRunner _runner;

    public PooledTurnRunnerTests()
    {
        var options = new WorkersOptions { DataDirectory = _data };
        options.Profiles["p"] = new AgentProfile
        {
            Name = "p",
            Family = "acp-json-rpc",
            Command = "sh",
            Pool = new PoolOptions { MinReady = 1, MaxReady = 1, MaxProcesses = 1, LifetimeJitter = 0, Adaptive = { Enabled = false } },
        };
        var profiles = new ProfileCatalog(options);
        _launcher = new ScriptedLauncher(_time, ScriptedLauncher.ManySessions);
        _pools = new PoolRegistry(profiles, _launcher, _time, NullLoggerFactory.Instance);
        var sessions = new SessionRegistry(new JsonFileConversationSessionStore(Path.Combine(_data, "sessions.json")), _pools);
        _runner = new PooledTurnRunner(profiles, _pools, sessions, _time);
    }

    [Fact]
    public async Task AttemptThatThrows_RetiresItsProcess_AndTheNextTurnGetsAnother()
    {
        // Arrange: the only process the pool may hold throws when its turn runs.
        var pool = _pools.All.Single();
        pool.Start();
        var broken = Assert.Single(_launcher.Launched);
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
        _runner.RunAsync(new TurnRequest { Id = id, ConversationId = $"c-{id}", Profile = "p", Prompt = "hello" }, new DiscardingSink(),
            TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _pools.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    private sealed class DiscardingSink : ITurnEventSink
    {
        public void OnEvent(TurnEvent turnEvent)
        {
        }
    }
}
