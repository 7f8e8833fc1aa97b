using Workers.Api;
using Workers.Store;
using Workers.Tests.Service;

namespace Workers.Tests.Api;

/// <summary>The SSE stream of a running turn whose events are published here and not stored yet (nothing is ever
/// written to the store in these tests): a late reader and a reader too slow for the live feed get every event from
/// memory, in order, without waiting for the store.</summary>
public sealed class TurnEventStreamTests
{
    [Fact(Timeout = 60_000)]
    public async Task ALateReader_GetsTheEventsNotStoredYetFromMemory_ThenTheLiveOnes()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        var turnId = fixture.Claimed.Lease.TurnId;
        using var feed = fixture.Hub.OpenFeed(turnId);
        for (var sequence = 1; sequence <= 3; sequence++)
        {
            feed.Publish(Event(sequence));
        }

        await using var reader = Read(fixture, turnId, TestContext.Current.CancellationToken);
        Assert.Equal([1L, 2L, 3L], await NextAsync(reader, 3));
        feed.Publish(Event(4));
        Assert.Equal([4L], await NextAsync(reader, 1));

        Assert.Empty(await fixture.StoredAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task AReaderTooSlowForTheLiveFeed_GetsWhatItsChannelDroppedFromMemory()
    {
        await using var fixture = await SinkFixture.CreateAsync();
        var turnId = fixture.Claimed.Lease.TurnId;
        using var feed = fixture.Hub.OpenFeed(turnId);
        feed.Publish(Event(1));
        await using var reader = Read(fixture, turnId, TestContext.Current.CancellationToken);
        Assert.Equal([1L], await NextAsync(reader, 1));

        // The reader is subscribed and reads nothing meanwhile: its channel keeps 4 096 events and drops the rest.
        const int published = 5_000;
        for (var sequence = 2; sequence <= published; sequence++)
        {
            feed.Publish(Event(sequence));
        }

        Assert.Equal(Sequences(2, 4_097), await NextAsync(reader, 4_096));
        // The next live event shows the reader the gap.
        feed.Publish(Event(published + 1));
        Assert.Equal(Sequences(4_098, published + 1), await NextAsync(reader, published + 1 - 4_097));

        Assert.Empty(await fixture.StoredAsync());
    }

    private static IAsyncEnumerator<StoredEvent> Read(SinkFixture fixture, string turnId, CancellationToken cancellationToken) =>
        new TurnEventStream(fixture.Store, fixture.Hub).ReadAsync(turnId, 0, cancellationToken).GetAsyncEnumerator(cancellationToken);

    private static async Task<List<long>> NextAsync(IAsyncEnumerator<StoredEvent> reader, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            Assert.True(await reader.MoveNextAsync(), $"The stream ended after {ids.Count} of {count} events.");
            ids.Add(reader.Current.Sequence);
        }

        return ids;
    }

    private static List<long> Sequences(long first, long last) => [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(s => (long)s)];

    private static StoredEvent Event(long sequence) =>
        new(sequence, "text_delta", $$"""{"type":"text_delta","text":"t{{sequence}}","sequence":{{sequence}}}""", DateTimeOffset.UnixEpoch);
}
