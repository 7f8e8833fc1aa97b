namespace Workers.Profiles;

/// <summary>Per-profile limits on the phases of a turn. The service enforces them itself: a CLI that
/// cannot reach its API retries for minutes (Claude Code: ~182 s of <c>api_retry</c>).</summary>
public sealed class ProfileTimeouts
{
    /// <summary>From spawn to the family's readiness marker (initialize answered).</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan Ready { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>From the start of a turn to its first token.</summary>
    /// <value>The default is 120 seconds.</value>
    public TimeSpan FirstToken { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>From the start of a turn to its end.</summary>
    /// <value>The default is 30 minutes.</value>
    public TimeSpan Turn { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a cancelled turn may take to answer its cancel before its process is killed.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan Cancel { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a process may take to exit after stdin is closed, then after SIGTERM, before SIGKILL.</summary>
    /// <value>The default is 3 seconds.</value>
    public TimeSpan GracefulStop { get; set; } = TimeSpan.FromSeconds(3);
}
