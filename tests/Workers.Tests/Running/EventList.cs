using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>A sink that keeps a turn's events in order, with short names for asserting their sequence.</summary>
internal sealed class EventList : ITurnEventSink
{
    private readonly Lock _lock = new();
    private readonly List<TurnEvent> _events = [];

    public IReadOnlyList<TurnEvent> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<string> Types => [.. All.Select(e => e.GetType().Name switch
    {
        nameof(SessionStarted) => "session",
        nameof(TextDelta) => "text_delta",
        nameof(RetryStarted) => "retry",
        nameof(TurnCompleted) => "completed",
        nameof(TurnFailed) => "failed",
        var other => other,
    })];

    public void OnEvent(TurnEvent turnEvent)
    {
        lock (_lock)
        {
            _events.Add(turnEvent);
        }
    }
}
