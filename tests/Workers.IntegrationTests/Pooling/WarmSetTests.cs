using Workers.Families;
using Workers.IntegrationTests.Isolation;
using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary><c>Pool:WorkingDirectories</c> (issue 14, item 6) on real simulated-agent processes: a directory besides the
/// profile's own gets processes launched (and sessions pre-opened) there, so its first turn is warm where it was a cold
/// launch, and its set is refilled after a lease.</summary>
public sealed class WarmSetTests
{
    [Theory(Timeout = 90_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    public async Task FirstTurnsInAPrewarmedDirectory_AreWarmInAPrewarmedSession_OnProcessesLaunchedThere(string family)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        var repo = Directory.CreateDirectory(Path.Combine(sim.DataDirectory, "projects", "repo")).FullName;
        sim.AddProfile(family, configure: p => WithRepoSet(p, repo));
        var pools = sim.Pools();
        var pool = pools[family];
        pools.Registry.StartAll();

        var turns = new List<TurnResult>();
        foreach (var conversation in new[] { "conv-1", "conv-2" })
        {
            // The set keeps its MinReady after a lease: the second conversation's first turn is warm again.
            await Poll.UntilAsync(() => pool.ReadyCountOf("repo") == 1, "a ready process in the repo set", cancellationToken: cancellationToken);
            turns.Add(await pools.Runner.RunAsync(
                new TurnRequest { Profile = family, Prompt = "hello", ConversationId = conversation, WorkingDirectory = repo },
                new EventCollector(), cancellationToken));
        }

        Assert.All(turns, t => Assert.True(t.Status == TurnStatus.Succeeded, $"{t.Reason}: {t.Message}"));
        Assert.All(turns, t => Assert.Equal((StartKinds.Warm, StartKinds.Prewarmed, null), (t.Process, t.Session, t.FallbackReason)));
        Assert.All(turns, t => Assert.Equal(TimeSpan.Zero, t.Timing.CliReady));
        // An ACP agent runs in the profile's directory and opened the prewarmed session in the repo; a Claude process runs there.
        Assert.All(turns, t => Assert.Equal(family == Claude ? repo : sim.Catalog.Get(family).DefaultWorkingDirectory,
            RealPath.Resolve($"/proc/{t.ProcessId}/cwd")));
        Assert.NotEqual(turns[0].ProcessId, turns[1].ProcessId);
        Assert.Equal(1, pool.ReadyCountOf(PrewarmDirectory.DefaultName));
        Assert.Equal(0, pool.Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Evicted));
    }

    [Fact(Timeout = 90_000)]
    public async Task InConversationIsolation_APrewarmedDirectory_IsBoundIntoTheSandboxOfItsSet_SoNoLaunchIsNeeded()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        var shared = Directory.CreateTempSubdirectory("workers-warm-set-").FullName;
        try
        {
            IsolatedProfile.Add(sim, Claude, minReady: 1, p =>
            {
                p.AllowedWorkingDirectories = [shared];
                p.Pool.WorkingDirectories = [new PrewarmDirectory { Name = "shared", Path = shared, MinReady = 1, MaxReady = 1 }];
            });
            Assert.True(sim.Catalog.Get(Claude).IsAvailable, sim.Catalog.Get(Claude).UnavailableReason);
            var pools = sim.Pools();
            pools.Registry.StartAll();
            await Poll.UntilAsync(() => pools[Claude].ReadyCountOf("shared") == 1, "a ready process in the shared set", cancellationToken: cancellationToken);
            var target = Path.Combine(shared, "from-agent.txt");

            var result = await pools.Runner.RunAsync(
                new TurnRequest { Profile = Claude, Prompt = $"named [[sim-io:write:{target}]]", ConversationId = "conv-1", WorkingDirectory = shared },
                new EventCollector(), cancellationToken);

            // Without the set this turn is a cold launch, isolation_needs_launch (IsolatedLeaseLadderTests).
            Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Reason}: {result.Message}");
            Assert.Equal((StartKinds.Warm, null), (result.Process, result.FallbackReason));
            Assert.Equal("sim-io wrote this", await File.ReadAllTextAsync(target, cancellationToken));
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task TheWarmSets_AreGaugesPerDirectoryName_NeverPerPath_AndOnThePoolsPage()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        var repo = Directory.CreateDirectory(Path.Combine(sim.DataDirectory, "projects", "repo")).FullName;
        sim.AddProfile(Acp, configure: p => WithRepoSet(p, repo));
        await using var service = await ServiceHarness.StartAsync(sim);
        await Poll.UntilAsync(async ct => (await service.Client.GetStringAsync("/metrics", ct))
            .Contains($"workers_pool_warm_set_ready_processes{{profile=\"{Acp}\",directory=\"repo\"}} 1", StringComparison.Ordinal),
            "a ready process in the repo set on /metrics");

        var metrics = await service.Client.GetStringAsync("/metrics", cancellationToken);
        var pools = await service.Client.GetStringAsync("/v1/pools", cancellationToken);

        Assert.Contains($"workers_pool_warm_set_ready_target{{profile=\"{Acp}\",directory=\"repo\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"workers_pool_warm_set_ready_target{{profile=\"{Acp}\",directory=\"default\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"workers_pool_ready_target{{profile=\"{Acp}\"}} 2", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(repo, metrics, StringComparison.Ordinal);
        Assert.Contains($"\"directory\":\"{repo}\"", pools, StringComparison.Ordinal);
    }

    private static void WithRepoSet(AgentProfile profile, string repo)
    {
        profile.AllowedWorkingDirectories = [Path.GetDirectoryName(repo)!];
        (profile.Pool.MinReady, profile.Pool.MaxReady, profile.Pool.MaxProcesses) = (1, 1, 4);
        profile.Pool.WorkingDirectories = [new PrewarmDirectory { Name = "repo", Path = repo, MinReady = 1, MaxReady = 1 }];
    }
}
