namespace Workers.SimAgent;

/// <summary>How the simulated model call fails (<c>error:auth</c>, <c>error:rate-limit</c>, <c>error:server</c>).</summary>
internal enum ModelErrorKind
{
    Auth,
    RateLimit,
    Server,
}
