using Workers.Turns;

namespace Workers.IntegrationTests.Support;

/// <summary>Keeps a turn's events for assertions.</summary>
public sealed class EventCollector : ITurnEventSink
{
    private readonly Lock _lock = new();
    private readonly List<TurnEvent> _events = [];
    private readonly TaskCompletionSource _firstText = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _toolUseCommits;

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

    /// <summary>What <see cref="CommitToolUseAsync"/> answers, as a durable sink would (by default: recorded at once).</summary>
    public Func<Task<bool>>? ToolUseGate { get; init; }

    /// <summary>How many times the turn asked to record its tool use.</summary>
    public int ToolUseCommits => Volatile.Read(ref _toolUseCommits);

    public Task<bool> CommitToolUseAsync()
    {
        Interlocked.Increment(ref _toolUseCommits);
        return ToolUseGate?.Invoke() ?? Task.FromResult(true);
    }

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
