using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary><c>MaxQueuedTurns</c> under concurrency: many producers at once over real HTTP, every turn stuck behind a running
/// one of its conversation, so none leaves the queue while they race. Exactly the limit is admitted.</summary>
public sealed class QueueLimitTests
{
    private const int Limit = 60;

    [Fact(Timeout = 120_000)]
    public async Task ManyParallelProducers_AdmitExactlyTheLimit_TheRestAre429()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?>
        {
            ["Workers:Service:MaxQueuedTurns"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var blocker = (await service.EnqueueAsync(new { conversationId = "held", profile = "sim-acp", prompt = "hold [[sim:first-token-ms=60000]]" },
            TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
        await service.WaitForStatusAsync(blocker, "running", TestContext.Current.CancellationToken);

        var answers = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 32), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = TestContext.Current.CancellationToken },
            async (producer, ct) =>
            {
                for (var n = 0; n < 8; n++)
                {
                    using var response = await service.Client.PostAsJsonAsync("/v1/turns",
                        new { id = $"p{producer}-{n}", conversationId = "held", profile = "sim-acp", prompt = "waits" }, ct);
                    answers.Add(response.StatusCode);
                }
            });
        var held = await service.Client.GetFromJsonAsync<JsonElement>("/v1/conversations/held/turns", TestContext.Current.CancellationToken);
        using var cancel = await service.Client.PostAsync($"/v1/turns/{blocker}/cancel", null, TestContext.Current.CancellationToken);

        Assert.Equal(Limit, answers.Count(a => a == HttpStatusCode.Accepted));
        Assert.Equal(32 * 8 - Limit, answers.Count(a => a == (HttpStatusCode)429));
        Assert.Equal(Limit + 1, held.GetProperty("turns").GetArrayLength());
    }
}
