using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Workers.IntegrationTests.Support;
using Workers.Maintenance;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>Canary turns (issue 14, item 3; <c>specs/canaries.md</c>): scheduled by Quartz, enqueued through the store like
/// a producer's turn, run through claim, pool, ladder and driver, counted only under <c>workers_canary_*</c>; one per tick
/// for the cluster (the tick is the turn's id); a ready process or none, never a producer's bound one.</summary>
public sealed class CanaryTests
{
    private const string Watched = "watched";

    [Fact(Timeout = 60_000)]
    public async Task ScheduledCanary_RunsThroughTheService_AndIsCountedOnlyUnderTheCanaryMetrics()
    {
        // Arrange: a canary every second. Quartz's triggers are set up from configuration, as the image's profiles are.
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: Watched, configure: p =>
        {
            p.Pool.MinReady = 1;
            p.Canary.Cron = "* * * * * ?";
        });
        await using var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?>
        {
            [$"Workers:Profiles:{Watched}:Canary:Cron"] = "* * * * * ?",
        });

        // Act
        var metrics = "";
        await Poll.UntilAsync(async ct =>
        {
            metrics = await service.Client.GetStringAsync("/metrics", ct);
            return metrics.Contains($"workers_canary_turns_total{{profile=\"{Watched}\",outcome=\"succeeded\",reason=\"\",version=\"sim-agent 1.0.0\"}}",
                StringComparison.Ordinal);
        }, "a succeeded canary on /metrics", cancellationToken: TestContext.Current.CancellationToken);

        // Assert: its segments are the canary's; no producer metric counted it; it left no bound session, and its process
        // was replaced rather than handed to a producer.
        Assert.Contains($"workers_canary_pre_first_token_seconds_count{{profile=\"{Watched}\",segment=\"time_to_first_token\"}}", metrics,
            StringComparison.Ordinal);
        Assert.DoesNotContain($"workers_turns_total{{profile=\"{Watched}\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain($"workers_turn_time_to_first_token_seconds_count{{profile=\"{Watched}\"", metrics, StringComparison.Ordinal);
        Assert.Contains($"workers_process_exits_total{{profile=\"{Watched}\",reason=\"canary\"}}", metrics, StringComparison.Ordinal);
        Assert.Empty(service.Services.GetRequiredService<PoolRegistry>().All.Single().BoundConversations());
    }

    [Fact(Timeout = 60_000)]
    public async Task CanaryOfOneTick_IsEnqueuedOnce_WhicheverReplicaFiresFirst()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: Watched, configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim);
        await service.Services.GetRequiredService<PoolRegistry>().All.Single().WaitForReadyAsync(1, TestContext.Current.CancellationToken);
        var canaries = service.Services.GetRequiredService<CanaryEnqueue>();
        var tick = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

        var first = await canaries.EnqueueAsync(Watched, tick, TestContext.Current.CancellationToken);
        var second = await canaries.EnqueueAsync(Watched, tick, TestContext.Current.CancellationToken);

        Assert.Equal((CanaryEnqueue.Outcome.Enqueued, CanaryEnqueue.Outcome.AlreadyEnqueued), (first, second));
        var turn = await service.Client.GetFromJsonAsync<JsonElement>($"/v1/turns/{CanaryEnqueue.TurnId(Watched, tick)}",
            TestContext.Current.CancellationToken);
        Assert.Equal(CanaryEnqueue.TurnId(Watched, tick), turn.GetProperty("conversationId").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Canary_WithNoReadyProcess_IsSkipped_AndTheProducersBoundSessionStays()
    {
        // Arrange: one process, bound to a producer's conversation.
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: Watched, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var producer = await pools.RunAsync(Watched, "mine", "producer-conversation", cancellationToken: TestContext.Current.CancellationToken);

        // Act: a canary turn that may take only a ready process.
        var canary = await pools.Runner.RunAsync(new TurnRequest { Profile = Watched, Prompt = "canary", ReadyProcessOnly = true },
            new EventCollector(), TestContext.Current.CancellationToken);
        var next = await pools.RunAsync(Watched, "mine again", "producer-conversation", cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal((TurnStatus.Failed, FailureReasons.NoReadyProcess), (canary.Status, canary.Reason));
        Assert.Equal((TurnStatus.Succeeded, "live", producer.ProcessId), (next.Status, next.Session, next.ProcessId));
        Assert.Equal(0, pools[Watched].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Evicted));
    }

    [Fact(Timeout = 60_000)]
    public async Task ProducerSendingCanary_IsRefusedNamingTheField()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: Watched, configure: p => p.Pool.MinReady = 0);
        await using var service = await ServiceHarness.StartAsync(sim);

        using var answer = await service.Client.PostAsJsonAsync("/v1/turns",
            new { conversationId = "c", profile = Watched, prompt = "hi", canary = true }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var problem = await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.True(problem.GetProperty("errors").TryGetProperty("canary", out _), problem.ToString());
    }
}
