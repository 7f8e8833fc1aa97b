namespace Workers.Store;

/// <summary>Where a turn is in its life. The last three are terminal: exactly one of them ends every accepted turn.</summary>
public enum TurnState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
