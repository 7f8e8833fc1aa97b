using Microsoft.AspNetCore.Http;

namespace Workers.Api;

/// <summary>RFC 9457 Problem Details answers, one place for their wording.</summary>
internal static class ApiProblems
{
    public static IResult NotFound(string what) =>
        TypedResults.Problem(title: "Not found", detail: what, statusCode: StatusCodes.Status404NotFound);

    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(title: "Bad request", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The turn is invalid; nothing was stored.");

    /// <summary>503 for a turn of a profile whose pool can serve nothing now; <c>profile</c> names it.</summary>
    public static IResult ProfileUnavailable(string profile, string? reason) =>
        TypedResults.Problem(title: "Profile unavailable", detail: $"The pool of profile '{profile}' can serve nothing now: {reason}",
            statusCode: StatusCodes.Status503ServiceUnavailable, extensions: new Dictionary<string, object?> { ["profile"] = profile });

    public static IResult Conflict(string detail) =>
        TypedResults.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);

    /// <summary>503 for a conversation whose files a process still held when the wait ran out (a turn of it is running, say):
    /// nothing of those profiles was deleted; the DELETE can be repeated.</summary>
    public static IResult ConversationFilesHeld(string conversationId, IReadOnlyList<string> profiles) =>
        TypedResults.Problem(title: "Conversation files still in use",
            detail: $"The files of conversation '{conversationId}' were still held by an agent process of {Names(profiles)} when Pool:LeaseTimeout ran out "
                + "(a turn of the conversation is running, or its process is still exiting); they were not deleted there. Repeat the DELETE.",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            extensions: new Dictionary<string, object?> { ["code"] = "conversation_files_held", ["profiles"] = profiles });

    /// <summary>500 for a conversation whose files could not be deleted (a refused rename, files stuck in a slot).</summary>
    public static IResult ConversationFilesNotRemoved(string conversationId, IReadOnlyDictionary<string, string> failures) =>
        TypedResults.Problem(title: "Conversation files not removed",
            detail: $"The files of conversation '{conversationId}' could not be deleted in {Names([.. failures.Keys])}: "
                + string.Join("; ", failures.Select(f => $"{f.Key}: {f.Value}")),
            statusCode: StatusCodes.Status500InternalServerError,
            extensions: new Dictionary<string, object?> { ["code"] = "conversation_files_not_removed", ["profiles"] = failures.Keys.ToList() });

    private static string Names(IReadOnlyList<string> profiles) =>
        (profiles.Count == 1 ? "profile " : "profiles ") + string.Join(", ", profiles.Select(p => $"'{p}'"));
}
