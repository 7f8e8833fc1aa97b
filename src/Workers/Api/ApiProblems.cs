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
}
