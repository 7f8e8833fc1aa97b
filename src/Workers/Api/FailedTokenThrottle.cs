using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Workers.Service;

namespace Workers.Api;

/// <summary>Counts the wrong or missing tokens each client presents: <c>FailedTokenLimit</c> per <c>FailedTokenWindow</c>
/// (a fixed window), after which the client is refused until its window ends. The client is the connection's address, or
/// the one a known proxy forwarded (<see cref="KnownProxies"/>).</summary>
internal sealed class FailedTokenThrottle(IOptions<ServiceOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.FailedTokenLimit,
            Window = options.Value.FailedTokenWindow,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Whether <paramref name="client"/> has spent its failures for this window, and if so when it may try again.
    /// Spends nothing.</summary>
    public bool IsRefused(string client, out TimeSpan retryAfter)
    {
        // Zero permits asks whether any is left without taking one.
        using var lease = _failures.AttemptAcquire(client, permitCount: 0);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.Value.FailedTokenWindow;
        return !lease.IsAcquired;
    }

    /// <summary>Counts one wrong or missing token; true when it was the client's last one for this window.</summary>
    public bool CountFailure(string client)
    {
        using var failure = _failures.AttemptAcquire(client);
        using var left = _failures.AttemptAcquire(client, permitCount: 0);
        return !left.IsAcquired;
    }

    public void Dispose() => _failures.Dispose();
}
