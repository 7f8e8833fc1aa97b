using System.Text.Json;
using Workers.Turns;

namespace Workers.Families.Claude;

/// <summary>Classifies the <c>result</c> line that ends a Claude turn (<c>specs/families.md</c>, "End of turn" and
/// "Provider errors"). A pure function of the line and the turn's facts, so every branch is tested without a process.</summary>
internal static class ClaudeResultClassifier
{
    private const string InterruptedMessage = "Interrupted at the producer's request.";

    public static ClaudeResultVerdict Classify(JsonElement result, ClaudeTurnFacts facts)
    {
        var usage = result.Obj("usage") is { } u
            ? new UsageReported(u.Long("input_tokens"), u.Long("output_tokens"), u.Long("cache_read_input_tokens"),
                u.Long("cache_creation_input_tokens"))
            : null;
        var subtype = result.Str("subtype");
        var terminalReason = result.Str("terminal_reason");
        if (facts.CancelRequested
            && (subtype == "error_during_execution" || terminalReason?.StartsWith("aborted", StringComparison.Ordinal) == true))
        {
            return new(TurnOutcome.Cancelled(InterruptedMessage, usage), usage, null);
        }

        if (result.Bool("is_error") || subtype != "success")
        {
            var text = result.Str("result") ?? string.Join("; ", result.Array("errors").Select(e => e.AsText()));
            var reason = result.Long("api_error_status") is { } status
                ? ProviderErrorClassifier.FromHttpStatus((int)status)
                : facts.AssistantError is not null
                    ? ProviderErrorClassifier.FromClaudeErrorKind(facts.AssistantError)
                    : subtype != "success" ? FailureReasons.AgentError : ProviderErrorClassifier.FromText(text);
            // An API failure comes as subtype "success" with is_error: naming that subtype would only confuse.
            var description = subtype == "success"
                ? $"The agent reported an error: {text}"
                : $"The agent reported an error ({subtype}): {text}";
            return new(TurnOutcome.Failed(reason, description, beforeOutput: !facts.HasOutput, usage), usage, null);
        }

        var unstreamed = !facts.HasOutput && result.Str("result") is { Length: > 0 } resultText ? resultText : null;
        return new(TurnOutcome.Succeeded(result.Str("stop_reason"), usage), usage, unstreamed);
    }
}
