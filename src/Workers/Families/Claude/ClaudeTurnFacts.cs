namespace Workers.Families.Claude;

/// <summary>What a turn's earlier lines and its caller established by the time its <c>result</c> arrives: the
/// classification of the result needs them and nothing else.</summary>
/// <param name="CancelRequested">An <c>interrupt</c> was sent for this turn.</param>
/// <param name="AssistantError">The <c>error</c> kind of the turn's last <c>assistant</c> message that carried one.</param>
/// <param name="HasOutput">Something of the answer already reached the producer.</param>
internal readonly record struct ClaudeTurnFacts(bool CancelRequested, string? AssistantError, bool HasOutput);
