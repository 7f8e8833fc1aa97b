using Workers.Service;
using Workers.Store;

namespace Workers.Tests.Service;

/// <summary>Live readers of a turn: subscribe, publish, unsubscribe, and a subscribe that races the last reader's
/// unsubscribe.</summary>
public sealed class TurnEventHubTests
{
    private static readonly StoredEvent Token = new(1, "text_delta", """{"type":"text_delta","text":"a","sequence":1}""",
        DateTimeOffset.UnixEpoch);

    [Fact]
    public void Subscribe_WhileTheLastReaderUnsubscribes_StillReceivesEvents()
    {
        var hub = new TurnEventHub();
        var leaving = hub.Subscribe("t1");
        // The last reader leaves after the new one found the turn's readers and before it joined them.
        hub.BeforeJoin = _ =>
        {
            hub.BeforeJoin = null;
            leaving.Dispose();
        };

        using var joining = hub.Subscribe("t1");
        hub.Publish("t1", Token);

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

        hub.Publish("t1", Token);
        second.Dispose();
        hub.Publish("t1", Token with { Sequence = 2 });

        Assert.Equal([1L, 2L], Drain(first));
        Assert.Equal([1L], Drain(second));
        Assert.Empty(Drain(other));
    }

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
