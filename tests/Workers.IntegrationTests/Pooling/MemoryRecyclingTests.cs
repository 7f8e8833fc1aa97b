using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Processes;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary><c>Pool:MaxProcessRssMiB</c> (issue 14, item 5): a process tree that grew past the limit is retired by the
/// reaper once it is idle, its conversation resumes on another process, and one below the limit is left alone. The
/// simulated agent grows with the <c>grow:&lt;MiB&gt;</c> fault, as a CLI that leaks per turn.</summary>
public sealed class MemoryRecyclingTests
{
    private const int LimitMiB = 200;

    [Fact(Timeout = 60_000)]
    public async Task BoundProcessThatGrewPastTheLimit_IsRetiredByTheReaper_AndItsConversationResumes()
    {
        // Arrange: a simulated agent (a .NET process of well under 200 MiB) whose turn makes it keep 320 MiB more.
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcessRssMiB) = (1, 1, LimitMiB));
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var pool = pools[Acp];
        var before = ProcessMemory.ResidentBytesOfTree(pool.Snapshot().Processes.Single().Pid);
        Assert.True(before < LimitMiB * 1024L * 1024L, $"the idle simulated agent holds {before >> 20} MiB, not below the {LimitMiB} MiB limit");
        Assert.Equal(0, pool.Reap());

        var first = await pools.RunAsync(Acp, "grow [[sim:grow:320]]", "conversation", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(TurnStatus.Succeeded, first.Status);

        // Act
        var retired = pool.Reap();

        // Assert: only the grown process went, for its memory; the conversation's next turn resumes its session elsewhere.
        Assert.Equal(1, retired);
        Assert.Equal(1, pool.Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Memory));
        Assert.DoesNotContain(pool.Snapshot().Processes, p => p.Pid == first.ProcessId);
        var second = await pools.RunAsync(Acp, "again", "conversation", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((TurnStatus.Succeeded, "resumed", first.SessionId), (second.Status, second.Session, second.SessionId));
        Assert.NotEqual(first.ProcessId, second.ProcessId);
    }

    [Fact(Timeout = 60_000)]
    public async Task TheLargestTreeAndTheLimit_AreGaugesPerProfile()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: "limited", configure: p => (p.Pool.MinReady, p.Pool.MaxProcessRssMiB) = (1, LimitMiB));
        sim.AddProfile(Acp, name: "unlimited", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim);
        var cancellationToken = TestContext.Current.CancellationToken;
        foreach (var pool in sim.Profiles.Keys)
        {
            await Poll.UntilAsync(async ct => (await service.Client.GetStringAsync("/metrics", ct))
                .Contains($"workers_pool_processes{{profile=\"{pool}\",state=\"ready\"}} 1", StringComparison.Ordinal), $"a ready process in {pool}");
        }

        var metrics = await service.Client.GetStringAsync("/metrics", cancellationToken);

        Assert.Contains($"workers_pool_process_memory_limit_bytes{{profile=\"limited\"}} {LimitMiB * 1024 * 1024}", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("workers_pool_process_memory_limit_bytes{profile=\"unlimited\"}", metrics, StringComparison.Ordinal);
        foreach (var pool in sim.Profiles.Keys)
        {
            var line = metrics.Split('\n').Single(l => l.StartsWith($"workers_pool_process_resident_memory_max_bytes{{profile=\"{pool}\"}}", StringComparison.Ordinal));
            Assert.True(double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task WithoutALimit_AGrownProcessStays()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxReady) = (1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);

        var first = await pools.RunAsync(Acp, "grow [[sim:grow:320]]", "conversation", cancellationToken: TestContext.Current.CancellationToken);
        var reaped = pools[Acp].Reap();
        var second = await pools.RunAsync(Acp, "again", "conversation", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0, reaped);
        Assert.Equal((TurnStatus.Succeeded, "live", first.ProcessId), (second.Status, second.Session, second.ProcessId));
    }
}
