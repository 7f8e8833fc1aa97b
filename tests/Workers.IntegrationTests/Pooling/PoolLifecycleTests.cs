using Microsoft.Extensions.Time.Testing;
using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary>Capacity, fairness, recycling and shutdown of a pool on real simulated-agent processes.</summary>
public sealed class PoolLifecycleTests
{
    private static readonly Dictionary<string, string> Quick = new() { ["SIM_STARTUP_MS"] = "30", ["SIM_FIRST_TOKEN_MS"] = "5", ["SIM_TOKENS"] = "3" };

    [Fact(Timeout = 120_000)]
    public async Task ManyConcurrentTurns_AllCompleteWithinCapacityAndNoLostWakeUp()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Quick, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.MaxReady = 2;
            p.Pool.MaxProcesses = 3;
            p.Pool.LeaseTimeout = TimeSpan.FromSeconds(60);
        });
        var pools = sim.Pools();
        var pool = pools[Acp];
        var maxSeen = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxSeen = Math.Max(maxSeen, pool.Snapshot().Processes.Count);
                await Task.Delay(5, CancellationToken.None);
            }
        }, CancellationToken.None);

        // 60 turns of 12 conversations, all at once: most must wait for one of 3 processes.
        var turns = Enumerable.Range(0, 60)
            .Select(i => pools.RunAsync(Acp, $"turn {i}", $"conv-{i % 12}-{i / 12}", cancellationToken: TestContext.Current.CancellationToken))
            .ToList();
        var results = await Task.WhenAll(turns);
        await sampling.CancelAsync();
        await sampler;

        Assert.All(results, r => Assert.Equal(TurnStatus.Succeeded, r.Status));
        Assert.True(maxSeen <= 3, $"saw {maxSeen} processes with MaxProcesses 3");
        Assert.Equal(0, pool.Counters.Read().LeaseTimeouts);
    }

    [Fact(Timeout = 60_000)]
    public async Task WaitingTurns_AreServedFirstComeFirstServed()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Quick, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.MaxReady = 1;
            p.Pool.MaxProcesses = 1;
        });
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var pool = pools[Acp];
        var request = new LeaseRequest(null, null, sim.Catalog.Get(Acp).DefaultWorkingDirectory, sim.Catalog.Get(Acp).Digest);
        var held = await pool.LeaseAsync(request, TestContext.Current.CancellationToken);
        var order = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 5; i++)
        {
            var index = i;
            waiters.Add(Task.Run(async () =>
            {
                var lease = await pool.LeaseAsync(request, TestContext.Current.CancellationToken);
                lock (order)
                {
                    order.Add(index);
                }

                pool.Release(lease, null, null, retire: false);
            }, TestContext.Current.CancellationToken));
            await Poll.UntilAsync(() => pool.Snapshot().WaitingTurns == index + 1, $"waiter {index} to queue");
        }

        pool.Release(held, null, null, retire: false);
        await Task.WhenAll(waiters);

        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact(Timeout = 60_000)]
    public async Task ProcessPastItsTurnCount_IsRecycled()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Quick, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.MaxTurnsPerProcess = 2;
        });
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);

        var first = await pools.RunAsync(Acp, "1", "conv", cancellationToken: TestContext.Current.CancellationToken);
        var second = await pools.RunAsync(Acp, "2", "conv", cancellationToken: TestContext.Current.CancellationToken);
        await pools[Acp].WaitForReadyAsync(1, TestContext.Current.CancellationToken);
        var third = await pools.RunAsync(Acp, "3", "conv", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(first.ProcessId, second.ProcessId);
        Assert.NotEqual(second.ProcessId, third.ProcessId);
        Assert.Equal(StartKinds(third), ("warm", "resumed"));
        Assert.Equal(1, pools[Acp].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Recycled));
    }

    [Fact(Timeout = 60_000)]
    public async Task ProcessPastItsLifetime_IsRecycledByTheReaperAndReplaced()
    {
        // The pool's clock is fake, so the lifetime passes exactly when the test says, however slow the machine.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var sim = new SimHarness(clock);
        sim.AddProfile(Acp, Quick, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.MaxLifetime = TimeSpan.FromMilliseconds(600);
            p.Pool.LifetimeJitter = 0;
        });
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var pool = pools[Acp];
        var original = pool.Snapshot().Processes.Single().Pid;

        clock.Advance(TimeSpan.FromMilliseconds(599));
        var reapedBefore = pool.Reap();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var reaped = pool.Reap();
        await Poll.UntilAsync(() => pool.ReadyCount == 1, "a replacement ready process");

        Assert.Equal(0, reapedBefore);
        Assert.Equal(1, reaped);
        Assert.DoesNotContain(pool.Snapshot().Processes, p => p.Pid == original);
        Assert.Equal(1, pool.Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Lifetime));
    }

    [Fact(Timeout = 60_000)]
    public async Task IdleBoundSession_IsReleasedAfterItsTtl()
    {
        // The pool's clock is fake, so the session's idle time is exactly what the test advanced it by.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var sim = new SimHarness(clock);
        sim.AddProfile(Acp, Quick, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.SessionIdleTtl = TimeSpan.FromMilliseconds(300);
        });
        var pools = sim.Pools();
        await pools.RunAsync(Acp, "1", "conv", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, pools[Acp].Snapshot().BoundSessions);

        clock.Advance(TimeSpan.FromMilliseconds(299));
        pools[Acp].Reap();
        var boundBeforeTtl = pools[Acp].Snapshot().BoundSessions;
        clock.Advance(TimeSpan.FromMilliseconds(1));
        pools[Acp].Reap();

        Assert.Equal(1, boundBeforeTtl);
        Assert.Equal(0, pools[Acp].Snapshot().BoundSessions);
        Assert.Equal(1, pools[Acp].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Idle));
    }

    [Fact(Timeout = 60_000)]
    public async Task FailingStarts_BackOffInsteadOfRespawningInALoop()
    {
        // The pool's clock is fake: a backoff elapses only when the test moves it, so "no start before the backoff is
        // over, one as soon as it is" holds exactly on any machine. Without a backoff the pool would respawn at once.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var sim = new SimHarness(clock);
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_FAULT"] = "crash:startup" }, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.StartBackoff = TimeSpan.FromMilliseconds(200);
            p.Pool.StartBackoffMax = TimeSpan.FromSeconds(10);
        });
        var pools = sim.Pools();
        var pool = pools[Acp];
        pools.Registry.StartAll();
        await Poll.UntilAsync(() => pool.Counters.Read().StartFailures == 1, "the first start to fail", cancellationToken: TestContext.Current.CancellationToken);

        // Backoff 0.2, 0.4, 0.8 s after the 1st, 2nd, 3rd failure: a handful of starts, not hundreds.
        foreach (var (failures, backoff) in new[] { (1, 200), (2, 400), (3, 800) })
        {
            var spawned = pool.Counters.Read().Spawned;
            clock.Advance(TimeSpan.FromMilliseconds(backoff - 1));
            pool.Replenish();
            var spawnedBeforeBackoff = pool.Counters.Read().Spawned;
            clock.Advance(TimeSpan.FromMilliseconds(1));
            pool.Replenish();
            var spawnedAfterBackoff = pool.Counters.Read().Spawned;

            Assert.True(spawnedBeforeBackoff == spawned, $"a start {backoff - 1} ms after failure {failures}, before its {backoff} ms backoff");
            Assert.True(spawnedAfterBackoff == spawned + 1, $"{spawnedAfterBackoff - spawned} starts once the {backoff} ms backoff after failure {failures} was over");
            await Poll.UntilAsync(() => pool.Counters.Read().StartFailures == failures + 1, $"start {failures + 1} to fail",
                cancellationToken: TestContext.Current.CancellationToken);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task GracefulStop_EndsEveryProcessEvenOnesThatIgnoreEofAndSigterm()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_FAULT"] = "ignore-eof,ignore-sigterm" }, configure: p =>
        {
            p.Pool.MinReady = 3;
            p.Timeouts.GracefulStop = TimeSpan.FromMilliseconds(300);
        });
        var pools = sim.Pools();
        await pools.WarmAsync(3, TestContext.Current.CancellationToken);
        await pools.RunAsync(Acp, "bound", "conv", cancellationToken: TestContext.Current.CancellationToken);

        await pools.Registry.StopAllAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        Assert.Empty(ProcessLeaks.Find(sim.Marker));
    }

    private static (string?, string?) StartKinds(TurnResult result) => (result.Process, result.Session);
}
