using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Workers.Service;

namespace Workers.Api;

/// <summary>Optional bearer tokens (<c>Workers:Service:ApiTokens</c>). When any is configured, every endpoint but the
/// probes and the metrics needs one. Tokens are compared in constant time (over their SHA-256, so length leaks nothing).</summary>
internal sealed class BearerTokenAuthentication(RequestDelegate next, IOptions<ServiceOptions> options)
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

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? Hash(header[scheme.Length..].Trim()) : null;
        var valid = false;
        foreach (var token in _tokenHashes)
        {
            // No early exit: every configured token is compared, whatever matched.
            valid |= presented is not null && CryptographicOperations.FixedTimeEquals(presented, token);
        }

        if (!valid)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Results.Problem(title: "Unauthorized", detail: "A valid bearer token is required (Authorization: Bearer <token>).",
                statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
