using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary><c>GET /v1/turns/{id}/runs</c>: the store's runs rows over the API, what the chaos suite checks overlaps on.</summary>
public sealed class TurnRunsEndpointTests
{
    [Fact(Timeout = 60_000)]
    public async Task FinishedTurn_HasOneCompletedRun_UnknownIs404_AndItNeedsTheToken()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?> { ["Workers:Service:ApiTokens:0"] = "t0ken" });
        using var anonymous = await service.Client.GetAsync("/v1/turns/nope/runs", TestContext.Current.CancellationToken);
        service.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t0ken");
        var accepted = await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "hello" }, TestContext.Current.CancellationToken);
        var id = accepted.GetProperty("id").GetString()!;
        await service.WaitForEndAsync(id, TestContext.Current.CancellationToken);

        var runs = await service.Client.GetFromJsonAsync<JsonElement>($"/v1/turns/{id}/runs", TestContext.Current.CancellationToken);
        using var unknown = await service.Client.GetAsync("/v1/turns/nope/runs", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(id, runs.GetProperty("turnId").GetString());
        var run = Assert.Single(runs.GetProperty("runs").EnumerateArray());
        Assert.Equal(1, run.GetProperty("attempt").GetInt32());
        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        Assert.False(string.IsNullOrEmpty(run.GetProperty("owner").GetString()));
        Assert.True(run.GetProperty("finishedAt").GetDateTimeOffset() >= run.GetProperty("startedAt").GetDateTimeOffset());
    }
}
