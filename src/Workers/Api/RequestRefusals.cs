using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Service;

namespace Workers.Api;

/// <summary>Refusals that happen around an endpoint rather than in it, answered as Problem Details and logged as the
/// client's error (Information, no stack trace): a body announced larger than <c>MaxRequestBodyBytes</c> is refused by its
/// Content-Length before a byte of it is read; what Kestrel refuses while a body is read (too large when chunked, too slow,
/// malformed) arrives as <see cref="BadHttpRequestException"/>; and an error status left without a body (an unknown path,
/// a wrong method) gets one.</summary>
internal sealed partial class RequestRefusals(RequestDelegate next, IOptions<ServiceOptions> options, ILogger<RequestRefusals> logger)
{
    private readonly long _maxBodyBytes = options.Value.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > _maxBodyBytes)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"The body is {context.Request.ContentLength} bytes; the limit is {_maxBodyBytes} (Workers:Service:MaxRequestBodyBytes).");
            return;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException refused) when (!context.Response.HasStarted)
        {
            await RefuseAsync(context, refused.StatusCode, refused.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"The body is larger than the limit of {_maxBodyBytes} bytes (Workers:Service:MaxRequestBodyBytes)."
                : refused.Message);
            return;
        }

        var response = context.Response;
        if (response is { StatusCode: >= 400, HasStarted: false, ContentLength: null } && string.IsNullOrEmpty(response.ContentType))
        {
            var status = response.StatusCode;
            await Results.Problem(title: ReasonPhrases.GetReasonPhrase(status), statusCode: status).ExecuteAsync(context);
        }
    }

    private async Task RefuseAsync(HttpContext context, int status, string detail)
    {
        LogRefused(logger, context.Request.Method, context.Request.Path, status, detail);
        // The connection may carry an unread body: the client is told it will not be reused.
        context.Response.Headers.Connection = "close";
        await Results.Problem(title: ReasonPhrases.GetReasonPhrase(status), detail: detail, statusCode: status).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = Logging.EventIds.Api + 1, Level = LogLevel.Information,
        Message = "Refused {Method} {Path}: {Status} {Detail}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, int status, string detail);
}
