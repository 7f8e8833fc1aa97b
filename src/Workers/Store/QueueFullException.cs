namespace Workers.Store;

/// <summary>An enqueue refused because <see cref="NewTurn.QueueLimit"/> turns were queued already; nothing was stored.</summary>
public sealed class QueueFullException(long queued, int limit)
    : Exception($"{queued} turns are queued (limit {limit}).")
{
    /// <summary>Queued turns when the enqueue was refused.</summary>
    public long Queued { get; } = queued;

    /// <summary>The limit it was refused by.</summary>
    public int Limit { get; } = limit;
}
