using Workers.Service;
using Workers.Store;

namespace Workers.Tests.Service;

/// <summary>Live readers of a turn: subscribe, publish, unsubscribe, a subscribe that races the last reader's
/// unsubscribe, and a run's feed, whose events not stored yet a late reader is given.</summary>
public sealed class TurnEventHubTests
{
    private static readonly StoredEvent Token = new(1, "text_delta", """{"type":"text_delta","text":"a","sequence":1}""",
        DateTimeOffset.UnixEpoch);

    [Fact]
    public void Subscribe_WhileTheLastReaderUnsubscribes_StillReceivesEvents()
    {
        var hub = new TurnEventHub();
        // The last reader leaves after the new one found the turn's readers and before it joined them.
        LeaveBeforeTheNextJoin(hub, hub.Subscribe("t1"));

        using var joining = hub.Subscribe("t1");
        hub.PublishStored("t1", Token);

        Assert.True(joining.Events.TryRead(out var received));
        Assert.Equal(Token, received);
    }

    [Fact]
    public void Publish_ReachesEveryReaderOfTheTurn_AndNoneAfterItLeft()
    {
        var hub = new TurnEventHub();
        using var first = hub.Subscribe("t1");
        var second = hub.Subscribe("t1");
        using var other = hub.Subscribe("t2");

        hub.PublishStored("t1", Token);
        second.Dispose();
        hub.PublishStored("t1", Token with { Sequence = 2 });

        Assert.Equal([1L, 2L], Drain(first));
        Assert.Equal([1L], Drain(second));
        Assert.Empty(Drain(other));
    }

    [Fact]
    public void FeedEvents_AreGivenToALateReaderUntilStored_AndLiveAfterIt()
    {
        var hub = new TurnEventHub();
        using var feed = hub.OpenFeed("t1");
        feed.Publish(Token);
        feed.Publish(Token with { Sequence = 2 });
        feed.Publish(Token with { Sequence = 3 });

        using var late = hub.Subscribe("t1");
        Assert.Equal([1L, 2L, 3L], late.Unstored(0).Select(e => e.Sequence));
        Assert.Equal([3L], late.Unstored(2).Select(e => e.Sequence));
        Assert.Empty(Drain(late));

        feed.Stored(2);
        feed.Publish(Token with { Sequence = 4 });

        Assert.Equal([3L, 4L], late.Unstored(0).Select(e => e.Sequence));
        Assert.Equal([4L], Drain(late));
        Assert.Equal([3L, 4L], feed.Oldest(10).Select(e => e.Sequence));
    }

    [Fact]
    public void AClosedFeed_KeepsAndSendsNothing_AndNoTurnSeesAnothersEvents()
    {
        var hub = new TurnEventHub();
        var feed = hub.OpenFeed("t1");
        using var other = hub.OpenFeed("t2");
        feed.Publish(Token);
        using var reader = hub.Subscribe("t1");
        using var otherReader = hub.Subscribe("t2");

        Assert.Empty(otherReader.Unstored(0));
        feed.Dispose();
        // A line its agent's reader still delivers after the run ended.
        feed.Publish(Token with { Sequence = 2 });

        Assert.Empty(reader.Unstored(0));
        Assert.Equal(0, feed.Count);
        Assert.Empty(Drain(reader));
        Assert.Empty(Drain(otherReader));
    }

    [Fact]
    public void ANewerRunsFeed_IsWhatLateReadersAreGiven_WhileTheOlderStillReachesLiveReaders()
    {
        var hub = new TurnEventHub();
        using var lost = hub.OpenFeed("t1");
        lost.Publish(Token);
        using var reader = hub.Subscribe("t1");
        using var newer = hub.OpenFeed("t1");
        newer.Publish(Token with { Sequence = 1_000_001 });
        lost.Publish(Token with { Sequence = 2 });

        Assert.Equal([1_000_001L], reader.Unstored(0).Select(e => e.Sequence));
        Assert.Equal([1_000_001L, 2L], Drain(reader));
    }

    [Fact]
    public void OpenFeed_WhileTheLastReaderUnsubscribes_ReachesLaterReaders()
    {
        var hub = new TurnEventHub();
        // The last reader leaves after the feed found the turn and before it joined it.
        LeaveBeforeTheNextJoin(hub, hub.Subscribe("t1"));

        using var feed = hub.OpenFeed("t1");
        using var later = hub.Subscribe("t1");
        feed.Publish(Token);

        Assert.Equal([1L], later.Unstored(0).Select(e => e.Sequence));
        Assert.Equal([1L], Drain(later));
    }

    /// <summary>Makes <paramref name="leaving"/> leave at the next join's race point, once.</summary>
    private static void LeaveBeforeTheNextJoin(TurnEventHub hub, TurnEventHub.Subscription leaving) => hub.BeforeJoin = _ =>
    {
        hub.BeforeJoin = null;
        leaving.Dispose();
    };

    private static List<long> Drain(TurnEventHub.Subscription subscription)
    {
        var sequences = new List<long>();
        while (subscription.Events.TryRead(out var stored))
        {
            sequences.Add(stored.Sequence);
        }

        return sequences;
    }
}
