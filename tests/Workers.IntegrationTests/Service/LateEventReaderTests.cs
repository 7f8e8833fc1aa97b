using Microsoft.Extensions.DependencyInjection;
using Workers.IntegrationTests.Support;
using Workers.Store;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>A reader that opens a running turn's stream after its first events were sent live and before the event writer
/// stored them gets them at once from memory, in order, with the live ones after; after the turn, and after a restart on
/// the same database, the whole stream is replayed from the store. The store flushes once a minute (its longest interval)
/// here, so a reader that waited for the flush would not get the events within the test's limits.</summary>
public sealed class LateEventReaderTests
{
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 150_000)]
    public async Task ALateReader_GetsTheEventsNotStoredYetFromMemory_AndTheStoreReplaysThemAfterTheTurnAndARestart()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, name: "sim-acp", configure: p =>
        {
            p.Pool.MinReady = 1;
            // The turn runs until the test cancels it: its end, which stores its events, must not come first.
            p.Timeouts.Turn = TimeSpan.FromMinutes(10);
        });
        var settings = new Dictionary<string, string?> { ["Workers:Service:EventFlushInterval"] = "00:01:00" };
        string id;
        List<SseReader.Item> whole;
        await using (var service = await ServiceHarness.StartAsync(sim, settings))
        {
            // 300 s of tokens: it outlasts the readers below, and is cancelled once they are done.
            id = (await service.EnqueueAsync(new
            {
                conversationId = "c1", profile = "sim-acp", prompt = "late [[sim:tokens=3000]] [[sim:token-interval-ms=100]]",
            }, cancellationToken)).GetProperty("id").GetString()!;
            var early = await SseReader.ReadWithinAsync(service.Client, id, ReadLimit, stopAfter: 4);
            Assert.Equal(["session", "text_delta", "text_delta", "text_delta"], early.Select(e => e.Type));

            var late = await SseReader.ReadWithinAsync(service.Client, id, ReadLimit, stopAfter: early.Count);
            var resumed = await SseReader.ReadWithinAsync(service.Client, id, ReadLimit, lastEventId: 2, stopAfter: 2);
            var stored = await service.Services.GetRequiredService<ITurnStore>().ReadEventsAsync(id, 0, 1_000, cancellationToken);

            Assert.Equal(Described(early), Described(late));
            Assert.Equal(Described(early.Skip(2)), Described(resumed));
            // Nothing of the turn was flushed yet: what the late readers got came from memory.
            Assert.Empty(stored);

            using var cancel = await service.Client.PostAsync($"/v1/turns/{id}/cancel", null, cancellationToken);
            Assert.Equal("cancelled", (await service.WaitForEndAsync(id, cancellationToken)).GetProperty("status").GetString());
            whole = await SseReader.ReadWithinAsync(service.Client, id, ReadLimit);
            Assert.Equal(Described(early), Described(whole.Take(early.Count)));
            Assert.Equal(Enumerable.Range(1, whole.Count).Select(i => (long)i), whole.Select(e => e.Id));
            Assert.Equal("cancelled", whole[^1].Type);
        }

        await using (var restarted = await ServiceHarness.StartAsync(sim, settings))
        {
            var replayed = await SseReader.ReadWithinAsync(restarted.Client, id, ReadLimit);
            Assert.Equal(Described(whole), Described(replayed));
        }
    }

    private static IEnumerable<(long Id, string Type, string Data)> Described(IEnumerable<SseReader.Item> items) =>
        items.Select(e => (e.Id, e.Type, e.Data.GetRawText()));
}
