namespace Workers.Store;

/// <summary>One event of a turn: its sequence within the turn, its type and its JSON.</summary>
public sealed record StoredEvent(long Sequence, string Type, string Json, DateTimeOffset CreatedAt)
{
    public bool IsTerminal => Type is "completed" or "failed" or "cancelled";
}
