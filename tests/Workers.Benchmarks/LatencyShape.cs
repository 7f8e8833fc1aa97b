namespace Workers.Benchmarks;

/// <summary>The simulated agent's latency, in the production shape of DESIGN.md (start-up ~1.5 s, session init ~2 s,
/// first token ~1 s including its context term) scaled by one factor so the ratios hold.</summary>
internal sealed record LatencyShape(double Scale)
{
    public int StartupMs => (int)(1500 * Scale);

    public int SessionNewMs => (int)(2000 * Scale);

    public int SessionLoadMs => (int)(2000 * Scale);

    /// <summary>The fixed part of the first-token delay; the context term adds the rest as a conversation grows.</summary>
    public int FirstTokenMs => (int)(800 * Scale);

    /// <summary>Per 1000 tokens of context: a four-turn conversation of the benchmark reaches a few hundred tokens.</summary>
    public int ContextMsPerKToken => (int)(1000 * Scale);

    public const int TurnOverheadMs = 2;

    public Dictionary<string, string> Environment() => new()
    {
        ["SIM_STARTUP_MS"] = StartupMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIM_SESSION_NEW_MS"] = SessionNewMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIM_SESSION_LOAD_MS"] = SessionLoadMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIM_FIRST_TOKEN_MS"] = FirstTokenMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIM_CONTEXT_MS_PER_KTOKEN"] = ContextMsPerKToken.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIM_TURN_OVERHEAD_MS"] = TurnOverheadMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["SIM_TOKENS"] = "40",
        ["SIM_TOKEN_INTERVAL_MS"] = "2",
    };

    /// <summary>The first-token delay the simulated agent applies to a turn whose session held <paramref name="contextTokens"/>.</summary>
    public double ExpectedFirstTokenMs(long contextTokens) => FirstTokenMs + (ContextMsPerKToken * contextTokens / 1000.0);
}
