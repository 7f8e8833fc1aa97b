using Workers.Turns;

namespace Workers.IntegrationTests.Support;

/// <summary>Keeps a turn's events for assertions.</summary>
public sealed class EventCollector : ITurnEventSink
{
    private readonly Lock _lock = new();
    private readonly List<TurnEvent> _events = [];
    private readonly TaskCompletionSource _firstText = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<TurnEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Completes at the first text delta.</summary>
    public Task FirstText => _firstText.Task;

    public void OnEvent(TurnEvent turnEvent)
    {
        lock (_lock)
        {
            _events.Add(turnEvent);
        }

        if (turnEvent is TextDelta)
        {
            _firstText.TrySetResult();
        }
    }

    public IEnumerable<T> OfType<T>() => Events.OfType<T>();
}
