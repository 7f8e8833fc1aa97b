using Workers.Turns;

namespace Workers.Host.Commands;

/// <summary>For turns whose events nobody reads (the demo's baseline): only their records count.</summary>
internal sealed class DiscardingEventSink : ITurnEventSink
{
    public void OnEvent(TurnEvent turnEvent)
    {
    }
}
