using Workers.Turns;

namespace Workers.Tests.Families.Claude;

/// <summary>Keeps a turn's events in order (the decoders emit on the test's thread).</summary>
internal sealed class RecordingSink : ITurnEventSink
{
    public List<TurnEvent> Events { get; } = [];

    public void OnEvent(TurnEvent turnEvent) => Events.Add(turnEvent);
}
