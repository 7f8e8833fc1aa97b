namespace Workers.Turns;

/// <summary>Receives a turn's events in order. Called on the thread that decoded the event: must not block.</summary>
public interface ITurnEventSink
{
    void OnEvent(TurnEvent turnEvent);
}
