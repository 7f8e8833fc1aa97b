namespace Workers.Turns;

/// <summary>Receives a turn's events in order. Called on the thread that decoded the event: must not block.</summary>
public interface ITurnEventSink
{
    void OnEvent(TurnEvent turnEvent);

    /// <summary>The agent is about to use a tool for the first time in this attempt. A sink that keeps turns durably
    /// records that point (a turn lost after it must not start over: its tools would run twice) and completes true once
    /// it is stored; false when it cannot be, and the tool must then be refused where Workers holds the answer. Called
    /// once per attempt (<see cref="TurnContext.CommitToolUseAsync"/>), on the thread that decoded the event: it must not
    /// block. A sink that keeps nothing has nothing to record.</summary>
    Task<bool> CommitToolUseAsync() => Task.FromResult(true);
}
