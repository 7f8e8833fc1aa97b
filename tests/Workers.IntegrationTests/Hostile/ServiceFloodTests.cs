using Microsoft.Extensions.DependencyInjection;
using Workers.IntegrationTests.Support;
using Workers.Store;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>A flooding agent through the whole service, over HTTP and a real SQLite store (<c>specs/security.md</c>, "Hostile
/// agents"): 200 000 garbage lines leave a handful of stored notices and the turn succeeds (each used to be a stored event,
/// and 10 000 of them filled the sink's buffer: the turn failed <c>store_unavailable</c>); 100 000 valid text deltas written
/// faster than the store takes them fail the turn <c>protocol_error</c>, the agent's flood, not a store outage (it used to be
/// <c>store_unavailable</c>), with at most the sink's buffer of events stored.</summary>
[Collection(HostileVolumeCollection.Name)]
public sealed class ServiceFloodTests
{
    [Fact(Timeout = 120_000)]
    public async Task TwoHundredThousandGarbageLines_StoreAHandfulOfNotices_AndTheTurnSucceeds()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim);

        var (turn, stored) = await RunAsync(service, "hello [[sim:garbage:200000]]", cancellationToken);

        Assert.True(turn.GetProperty("status").GetString() == "succeeded", turn.ToString());
        var notices = stored.Where(e => e.Type == "notice").ToList();
        Assert.Equal(14, notices.Count);
        Assert.True(stored.Count < 40, $"{stored.Count} events stored for one turn");
    }

    [Fact(Timeout = 120_000)]
    public async Task TextDeltasFasterThanTheStoreTakesThem_FailTheTurnAsTheAgentsFlood_NotAsAStoreOutage()
    {
        // The store flushes once a minute (its longest interval), so whatever the machine's speed the flood outruns it: the
        // sink's 10 000-event buffer fills while the store has failed no write.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?>
        {
            ["Workers:Service:EventFlushInterval"] = "00:01:00",
        });

        var (turn, stored) = await RunAsync(service, "hello [[sim:flood:100000]]", cancellationToken);

        Assert.True(turn.GetProperty("status").GetString() == "failed", turn.ToString());
        Assert.Equal("protocol_error", turn.GetProperty("reason").GetString());
        Assert.StartsWith("The agent wrote events faster than the store took them", turn.GetProperty("message").GetString(),
            StringComparison.Ordinal);
        // What was stored: what readers saw before the buffer filled, and the end; never the whole flood.
        Assert.True(stored.Count < 100_000, $"{stored.Count} events stored");
    }

    private static async Task<(System.Text.Json.JsonElement Turn, List<StoredEvent> Stored)> RunAsync(ServiceHarness service, string prompt,
        CancellationToken cancellationToken)
    {
        await service.WaitForReadyProcessesAsync("sim-acp", 1, cancellationToken);
        var id = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt }, cancellationToken))
            .GetProperty("id").GetString()!;
        var turn = await service.WaitForEndAsync(id, cancellationToken);
        var store = service.Services.GetRequiredService<ITurnStore>();
        var stored = new List<StoredEvent>();
        IReadOnlyList<StoredEvent> batch;
        while ((batch = await store.ReadEventsAsync(id, stored.Count == 0 ? 0 : stored[^1].Sequence, 10_000, cancellationToken)).Count > 0)
        {
            stored.AddRange(batch);
        }

        return (turn, stored);
    }
}
