namespace Workers.Turns;

/// <summary>A turn's token counts as its agent reported them; cache counts feed the prompt-cache hit ratio.</summary>
public sealed record TokenUsage(long? InputTokens, long? OutputTokens, long? CacheReadTokens, long? CacheCreationTokens);
