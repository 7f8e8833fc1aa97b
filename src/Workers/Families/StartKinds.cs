namespace Workers.Families;

/// <summary>The two low-cardinality labels that say which rung of the lease ladder served a turn.</summary>
public static class StartKinds
{
    /// <summary><c>process</c>: leased from the pool or still bound from the previous turn.</summary>
    public const string Warm = "warm";

    /// <summary><c>process</c>: spawned for this turn.</summary>
    public const string Cold = "cold";

    /// <summary><c>session</c>: same process, same session as the conversation's last turn.</summary>
    public const string Live = "live";

    /// <summary><c>session</c>: opened on a ready process before any turn asked for it.</summary>
    public const string Prewarmed = "prewarmed";

    /// <summary><c>session</c>: an existing agent session brought back (<c>session/load</c>, <c>--resume</c>, <c>exec resume</c>).</summary>
    public const string Resumed = "resumed";

    /// <summary><c>session</c>: a new agent session.</summary>
    public const string New = "new";
}
