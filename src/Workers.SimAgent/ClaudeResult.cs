using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The fields of the <c>result</c> line that ends every Claude turn, whether it succeeded, failed or was interrupted.</summary>
internal sealed record ClaudeResult
{
    public required string SessionId { get; init; }

    /// <summary><c>success</c> (also for API errors, which set <see cref="IsError"/>) or <c>error_during_execution</c>.</summary>
    public required string Subtype { get; init; }

    public required bool IsError { get; init; }

    public required long DurationMs { get; init; }

    public required long DurationApiMs { get; init; }

    public long? TtftMs { get; init; }

    public int NumTurns { get; init; } = 1;

    /// <summary>The reply text; error subtypes carry <see cref="Errors"/> instead.</summary>
    public string? Text { get; init; }

    public string? StopReason { get; init; }

    public ClaudeUsage Usage { get; init; } = ClaudeUsage.None;

    public JsonArray PermissionDenials { get; init; } = [];

    public int? ApiErrorStatus { get; init; }

    public string TerminalReason { get; init; } = "completed";

    public IReadOnlyList<string>? Errors { get; init; }
}
