using System.Text.RegularExpressions;

namespace Workers.Turns;

/// <summary>Maps what an agent says about a failed model call to the failure taxonomy: by field where the
/// agent gives one (an HTTP status, an error kind), by text otherwise; unmatched text is <c>unclassified</c>
/// so the taxonomy can grow from what is counted.</summary>
public static partial class ProviderErrorClassifier
{
    public static string FromHttpStatus(int status) => status switch
    {
        401 or 403 => FailureReasons.Auth,
        402 => FailureReasons.Balance,
        429 => FailureReasons.RateLimit,
        >= 500 and < 600 => FailureReasons.ProviderError,
        400 or 413 or 422 => FailureReasons.BadInput,
        _ => FailureReasons.Unclassified,
    };

    /// <summary>Claude's assistant <c>error</c> field.</summary>
    public static string FromClaudeErrorKind(string kind) => kind switch
    {
        "authentication_failed" => FailureReasons.Auth,
        "billing_error" => FailureReasons.Balance,
        "rate_limit" => FailureReasons.RateLimit,
        "server_error" => FailureReasons.ProviderError,
        "invalid_request" => FailureReasons.BadInput,
        _ => FailureReasons.Unclassified,
    };

    public static string FromText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return FailureReasons.Unclassified;
        }

        if (StatusPattern().Match(text) is { Success: true } match && int.TryParse(match.Groups[1].Value, out var status))
        {
            var byStatus = FromHttpStatus(status);
            if (byStatus != FailureReasons.Unclassified)
            {
                return byStatus;
            }
        }

        return text switch
        {
            _ when AuthPattern().IsMatch(text) => FailureReasons.Auth,
            _ when RatePattern().IsMatch(text) => FailureReasons.RateLimit,
            _ when BalancePattern().IsMatch(text) => FailureReasons.Balance,
            _ when ServerPattern().IsMatch(text) => FailureReasons.ProviderError,
            _ => FailureReasons.Unclassified,
        };
    }

    [GeneratedRegex(@"\b(?:status|error|API Error:?)\s*:?\s*([45]\d\d)\b", RegexOptions.IgnoreCase)]
    private static partial Regex StatusPattern();

    // "invalid x-api-key" is Anthropic's 401 wording as opencode passes it on.
    [GeneratedRegex(@"authenticat|unauthori[sz]ed|\b(?:invalid|incorrect|missing)\b.{0,20}\bapi[-_ ]?key|/login|forbidden", RegexOptions.IgnoreCase)]
    private static partial Regex AuthPattern();

    [GeneratedRegex(@"rate.?limit|too many requests|quota", RegexOptions.IgnoreCase)]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"credit balance|billing|insufficient (?:funds|balance)|payment required", RegexOptions.IgnoreCase)]
    private static partial Regex BalancePattern();

    // "experiencing high demand" is how codex 0.169 reports a provider 5xx, with no status.
    [GeneratedRegex(@"overloaded|internal server error|server_error|bad gateway|service unavailable|timed? ?out|experiencing high demand",
        RegexOptions.IgnoreCase)]
    private static partial Regex ServerPattern();
}
