namespace Workers.Store;

/// <summary>A turn as a producer enqueued it.</summary>
/// <param name="Id">The producer's id, or one made for it; enqueueing the same id twice is idempotent.</param>
/// <param name="ConversationId">The conversation; turns of one conversation run one at a time, in enqueue order.</param>
/// <param name="Profile">The profile name.</param>
/// <param name="Payload">The request as JSON (prompt, cwd, transcript, deadline, metadata), stored as given.</param>
/// <param name="PayloadHash">A hash of the request; the same id with another hash is a conflict.</param>
/// <param name="EnqueuedAt">When it was accepted.</param>
public sealed record NewTurn(
    string Id, string ConversationId, string Profile, string Payload, string PayloadHash, DateTimeOffset EnqueuedAt)
{
    /// <summary>When set, the turn is refused (<see cref="QueueFullException"/>, nothing stored) if this many turns are
    /// queued already; checked atomically with the insert. A repeat of an existing turn is answered regardless.</summary>
    public int? QueueLimit { get; init; }
}
