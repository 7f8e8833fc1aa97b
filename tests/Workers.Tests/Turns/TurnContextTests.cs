using Microsoft.Extensions.Time.Testing;
using Workers.Profiles;
using Workers.Tests.Running;
using Workers.Turns;

namespace Workers.Tests.Turns;

/// <summary>How a turn numbers its events: in the order emitted, after the first sequence it was given; an event is numbered
/// in place when it has no number yet, and one that already has a number is copied, so every event handed on keeps its own.</summary>
public sealed class TurnContextTests
{
    private readonly EventList _events = new();

    private TurnContext NewTurn(long firstSequence = 0) =>
        new("turn-1", "prompt", "/tmp", new TurnClock(new FakeTimeProvider()), _events, new PermissionPolicy(), firstSequence);

    [Fact]
    public void Emit_NumbersEventsInOrder_AfterTheFirstSequence()
    {
        var turn = NewTurn(firstSequence: 40);

        turn.EmitText("a");
        turn.Emit(new AgentNotice("n", "m"));
        turn.EmitText("b");

        Assert.Equal([41, 42, 43], _events.All.Select(e => e.Sequence));
        Assert.Equal(43, turn.LastSequence);
        Assert.Equal("ab", turn.Text);
    }

    [Fact]
    public void Emit_AnEventWithoutNumber_IsHandedOnItself()
    {
        var turn = NewTurn();
        var notice = new AgentNotice("n", "m");

        turn.Emit(notice);

        Assert.Same(notice, Assert.Single(_events.All));
        Assert.Equal(1, notice.Sequence);
    }

    [Fact]
    public void Emit_AnEventEmittedBefore_IsCopied_AndTheFirstKeepsItsNumber()
    {
        var first = NewTurn();
        var second = NewTurn(firstSequence: 10);
        var notice = new AgentNotice("n", "m");

        first.Emit(notice);
        second.Emit(notice);

        Assert.Equal([1, 11], _events.All.Select(e => e.Sequence));
        Assert.Equal(1, notice.Sequence);
        Assert.Equal(notice with { Sequence = 11 }, _events.All[1]);
    }
}
