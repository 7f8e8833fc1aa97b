using Workers.Turns;

namespace Workers.IntegrationTests.Support;

/// <summary>A turn's events for a flood: text deltas only counted (a million kept would be the test's memory, not the
/// service's), every other event kept.</summary>
public sealed class CountingSink : ITurnEventSink
{
    private readonly Lock _lock = new();
    private readonly List<TurnEvent> _kept = [];
    private long _textDeltas;
    private long _textLength;

    public long TextDeltas => Interlocked.Read(ref _textDeltas);

    public long TextLength => Interlocked.Read(ref _textLength);

    /// <summary>Every event but the text deltas, in order.</summary>
    public IReadOnlyList<TurnEvent> Kept
    {
        get
        {
            lock (_lock)
            {
                return [.. _kept];
            }
        }
    }

    public void OnEvent(TurnEvent turnEvent)
    {
        if (turnEvent is TextDelta delta)
        {
            Interlocked.Add(ref _textLength, delta.Text.Length);
            Interlocked.Increment(ref _textDeltas);
            return;
        }

        lock (_lock)
        {
            _kept.Add(turnEvent);
        }
    }
}
