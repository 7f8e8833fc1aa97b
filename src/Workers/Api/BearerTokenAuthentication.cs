using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.Service;

namespace Workers.Api;

/// <summary>Optional bearer tokens (<c>Workers:Service:ApiTokens</c>). When any is configured, every endpoint but the
/// probes and the metrics needs one. Tokens are compared in constant time (over their SHA-256, so length leaks nothing).
/// A client that presents too many wrong tokens is refused 429 for the rest of its window, valid token or not, so a
/// storm of guesses costs one check each and confirms nothing (<see cref="FailedTokenThrottle"/>).</summary>
internal sealed partial class BearerTokenAuthentication(
    RequestDelegate next, IOptions<ServiceOptions> options, FailedTokenThrottle throttle, ILogger<BearerTokenAuthentication> logger)
{
    private static readonly HashSet<string> OpenPaths = new(StringComparer.OrdinalIgnoreCase) { "/healthz", "/readyz", "/startupz", "/metrics" };

    private readonly byte[][] _tokenHashes = options.Value.ApiTokens.Where(t => t.Length > 0).Select(Hash).ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        if (_tokenHashes.Length == 0 || OpenPaths.Contains(context.Request.Path.Value ?? ""))
        {
            await next(context);
            return;
        }

        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.IsRefused(client, out var retryAfter))
        {
            await RefuseThrottledAsync(context, retryAfter);
            return;
        }

        if (!IsValid(context.Request.Headers.Authorization.ToString()))
        {
            if (!throttle.TryCountFailure(client, out var wasLast, out var refusedFor))
            {
                await RefuseThrottledAsync(context, refusedFor);
                return;
            }

            if (wasLast)
            {
                LogThrottled(logger, client, options.Value.FailedTokenLimit, options.Value.FailedTokenWindow);
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Results.Problem(title: "Unauthorized", detail: "A valid bearer token is required (Authorization: Bearer <token>).",
                statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private bool IsValid(string header)
    {
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? Hash(header[scheme.Length..].Trim()) : null;
        var valid = false;
        foreach (var token in _tokenHashes)
        {
            // No early exit: every configured token is compared, whatever matched.
            valid |= presented is not null && CryptographicOperations.FixedTimeEquals(presented, token);
        }

        return valid;
    }

    private Task RefuseThrottledAsync(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Results.Problem(title: "Too Many Requests",
            detail: $"Too many wrong or missing tokens from this client: more than {options.Value.FailedTokenLimit} in "
                + $"{options.Value.FailedTokenWindow} (Workers:Service:FailedTokenLimit, FailedTokenWindow). Try again in {seconds} s.",
            statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context);
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    // Once per client and window, when it spends its last failure: a storm is one line, not one per request.
    [LoggerMessage(EventId = Logging.EventIds.Api + 2, Level = LogLevel.Warning,
        Message = "Client {Client} presented {Limit} wrong or missing tokens within {Window}: "
            + "its requests are refused 429 until the window ends")]
    private static partial void LogThrottled(ILogger logger, string client, int limit, TimeSpan window);
}
