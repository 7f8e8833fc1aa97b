using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>What a <c>result</c> line means for its turn.</summary>
/// <param name="Outcome">How the turn ended.</param>
/// <param name="Usage">The token usage to report before the end, when the line carried one.</param>
/// <param name="UnstreamedText">The result's text, to show as the answer of a successful turn that streamed nothing.</param>
internal sealed record ClaudeResultVerdict(TurnOutcome Outcome, UsageReported? Usage, string? UnstreamedText);
