namespace Workers.Pooling;

/// <summary>The life of a pooled agent process (<c>specs/pool.md</c>).</summary>
public enum PoolProcessState
{
    /// <summary>Spawned, not yet ready (readiness probe, pre-opened session).</summary>
    Starting,

    /// <summary>Idle in the pool's channel, waiting for a turn.</summary>
    Ready,

    /// <summary>Running a turn.</summary>
    Leased,

    /// <summary>Holding a conversation's live session between its turns.</summary>
    Bound,

    /// <summary>Stopped or being stopped; never leased again.</summary>
    Retired,
}
