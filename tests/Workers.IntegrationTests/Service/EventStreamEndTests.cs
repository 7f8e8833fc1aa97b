using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>A <c>Last-Event-ID</c> at or past a turn's terminal event: there is nothing more to send, so the stream ends
/// (headers sent, then closed) instead of waiting for an event that will never come.</summary>
public sealed class EventStreamEndTests
{
    [Fact(Timeout = 60_000)]
    public async Task LastEventIdAtOrPastAFinishedTurnsTerminalEvent_EndsTheStreamAtOnceWithNothing()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim);
        var id = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "hello" }, TestContext.Current.CancellationToken))
            .GetProperty("id").GetString()!;
        var all = await SseReader.ReadAsync(service.Client, id, TestContext.Current.CancellationToken);
        await service.WaitForEndAsync(id, TestContext.Current.CancellationToken);
        var terminal = all[^1].Id;

        foreach (var lastEventId in new[] { terminal, terminal + 1, 5_000_000 })
        {
            var rest = await ReadBoundedAsync(service, id, lastEventId);
            Assert.Empty(rest);
        }

        // Just before the terminal event: the terminal event alone.
        Assert.Equal(["completed"], (await ReadBoundedAsync(service, id, terminal - 1)).Select(e => e.Type));
    }

    [Fact(Timeout = 60_000)]
    public async Task LastEventIdPastARunningTurnsEvents_WaitsForLaterOnes_AndEndsWithTheTurn()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim);
        var id = (await service.EnqueueAsync(new
        {
            conversationId = "c1", profile = "sim-acp", prompt = "long [[sim:tokens=300]] [[sim:token-interval-ms=20]]",
        }, TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
        await SseReader.ReadAsync(service.Client, id, TestContext.Current.CancellationToken, stopAfter: 3);

        // Ids of a later attempt start at 1 000 001: a reader past every id of this attempt waits for them, or for the end.
        var reading = ReadBoundedAsync(service, id, 999_999);
        using var cancel = await service.Client.PostAsync($"/v1/turns/{id}/cancel", null, TestContext.Current.CancellationToken);
        var end = await service.WaitForEndAsync(id, TestContext.Current.CancellationToken);

        Assert.Equal("cancelled", end.GetProperty("status").GetString());
        Assert.Empty(await reading);
    }

    private static Task<List<SseReader.Item>> ReadBoundedAsync(ServiceHarness service, string id, long lastEventId) =>
        SseReader.ReadWithinAsync(service.Client, id, TimeSpan.FromSeconds(20), lastEventId);
}
