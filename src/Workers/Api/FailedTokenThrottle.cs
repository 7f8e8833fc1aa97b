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

    /// <summary>Counts one wrong or missing token. False when the client had none left: requests of one client that passed
    /// <see cref="IsRefused"/> together race for the last ones, and those that lose are refused like any later one.</summary>
    /// <param name="client">The client.</param>
    /// <param name="wasLast">True when this failure spent the client's last one for this window.</param>
    /// <param name="retryAfter">When refused, when the client may try again.</param>
    public bool TryCountFailure(string client, out bool wasLast, out TimeSpan retryAfter)
    {
        using var failure = _failures.AttemptAcquire(client);
        retryAfter = failure.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.Value.FailedTokenWindow;
        if (!failure.IsAcquired)
        {
            wasLast = false;
            return false;
        }

        using var left = _failures.AttemptAcquire(client, permitCount: 0);
        wasLast = !left.IsAcquired;
        return true;
    }

    public void Dispose() => _failures.Dispose();
}
