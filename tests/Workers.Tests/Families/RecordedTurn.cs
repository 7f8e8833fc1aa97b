using Microsoft.Extensions.Time.Testing;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Tests.Families;

/// <summary>A turn whose events are kept, in order, for the assertions.</summary>
internal sealed class RecordedTurn : ITurnEventSink
{
    private readonly List<TurnEvent> _events = [];

    public RecordedTurn()
    {
        Context = new TurnContext("turn-1", "prompt", "/tmp", new TurnClock(new FakeTimeProvider()), this, new PermissionPolicy());
    }

    public TurnContext Context { get; }

    public IReadOnlyList<TurnEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public void OnEvent(TurnEvent turnEvent)
    {
        lock (_events)
        {
            _events.Add(turnEvent);
        }
    }
}
