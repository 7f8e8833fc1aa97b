using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>
/// Anthropic-style token usage of one turn. The session's earlier context is read from the prompt cache and this turn's
/// prompt is written to it, as Claude Code's automatic caching does on a growing conversation; only a few tokens are uncached.
/// </summary>
internal sealed record ClaudeUsage(int InputTokens, int CacheCreationTokens, int CacheReadTokens, int OutputTokens)
{
    public static ClaudeUsage None { get; } = new(0, 0, 0, 0);

    public static ClaudeUsage ForTurn(int priorContextTokens, int promptTokens, int outputTokens) =>
        new(3, promptTokens, priorContextTokens, outputTokens);

    /// <summary>Priced like a Sonnet-class model (USD per million tokens: 3 in, 3.75 cache write, 0.30 cache read, 15 out).</summary>
    public double CostUsd =>
        Math.Round(((InputTokens * 3.0) + (CacheCreationTokens * 3.75) + (CacheReadTokens * 0.3) + (OutputTokens * 15.0)) / 1_000_000, 8);

    public JsonObject ToJson() => new()
    {
        ["input_tokens"] = InputTokens,
        ["cache_creation_input_tokens"] = CacheCreationTokens,
        ["cache_read_input_tokens"] = CacheReadTokens,
        ["output_tokens"] = OutputTokens,
        ["service_tier"] = "standard",
    };
}
