using System.Text.RegularExpressions;

namespace Workers.Turns;

/// <summary>The ways agents say "that session does not exist" when asked to resume it (<c>specs/families.md</c>).</summary>
public static partial class StaleSessionPatterns
{
    /// <summary>ACP ResourceNotFound.</summary>
    public const int AcpResourceNotFound = -32002;

    public static bool IsStale(string? text) => text is not null && Pattern().IsMatch(text);

    [GeneratedRegex(
        @"No conversation found|Invalid session identifier|no rollout found|No saved session|session not found|Resource not found|unknown session",
        RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
