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
        await using var sim = new SimHarness();
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

        await Task.Delay(700, TestContext.Current.CancellationToken);
        var reaped = pool.Reap();
        await pool.WaitForReadyAsync(1, TestContext.Current.CancellationToken);

        Assert.Equal(1, reaped);
        Assert.DoesNotContain(pool.Snapshot().Processes, p => p.Pid == original);
        Assert.Equal(1, pool.Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Lifetime));
    }

    [Fact(Timeout = 60_000)]
    public async Task IdleBoundSession_IsReleasedAfterItsTtl()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, Quick, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.SessionIdleTtl = TimeSpan.FromMilliseconds(300);
        });
        var pools = sim.Pools();
        await pools.RunAsync(Acp, "1", "conv", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, pools[Acp].Snapshot().BoundSessions);

        await Task.Delay(400, TestContext.Current.CancellationToken);
        pools[Acp].Reap();

        Assert.Equal(0, pools[Acp].Snapshot().BoundSessions);
        Assert.Equal(1, pools[Acp].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Idle));
    }

    [Fact(Timeout = 60_000)]
    public async Task FailingStarts_BackOffInsteadOfRespawningInALoop()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_FAULT"] = "crash:startup" }, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Pool.StartBackoff = TimeSpan.FromMilliseconds(200);
            p.Pool.StartBackoffMax = TimeSpan.FromSeconds(10);
        });
        var pools = sim.Pools();
        pools.Registry.StartAll();

        await Task.Delay(1500, TestContext.Current.CancellationToken);

        // Backoff 0.2, 0.4, 0.8 s…: a handful of starts in 1.5 s, not hundreds.
        var failures = pools[Acp].Counters.Read().StartFailures;
        Assert.InRange(failures, 1, 6);
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

        await pools.Registry.StopAllAsync(TimeSpan.FromSeconds(1));

        Assert.Empty(ProcessLeaks.Find(sim.Marker));
    }

    private static (string?, string?) StartKinds(TurnResult result) => (result.Process, result.Session);
}
