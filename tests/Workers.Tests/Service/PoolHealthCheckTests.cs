using Microsoft.Extensions.Diagnostics.HealthChecks;
using Workers.Pooling;
using Workers.Service;
using Workers.Tests.Running;

namespace Workers.Tests.Service;

/// <summary>A pool's health check: healthy while the pool can serve, degraded (never unhealthy: readiness stays the store's
/// and the dispatcher's) with the pool's reason when it can serve nothing.</summary>
public sealed class PoolHealthCheckTests : IAsyncDisposable
{
    private readonly ScriptedRunner _scripted = new(maxProcesses: 1);

    [Fact]
    public async Task PoolWhoseStartsAllFail_IsDegradedWithItsReason_NotUnhealthy()
    {
        // Arrange
        var check = new PoolHealthCheck(_scripted.Pools, "p");
        var healthy = await CheckAsync(check);
        _scripted.Launcher.FailSpawns = true;

        // Act: the pool's first start fails, and so does every retry after its backoff.
        _scripted.Pool.Start();
        for (var seconds = 1; seconds <= 4; seconds *= 2)
        {
            _scripted.Time.Advance(TimeSpan.FromSeconds(seconds));
        }

        var degraded = await CheckAsync(check);

        // Assert
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("starts of the agent failed", degraded.Description, StringComparison.Ordinal);
        Assert.Equal((false, PoolAvailability.StartsFailing), ((bool)degraded.Data["available"], (string)degraded.Data["code"]));
    }

    private static Task<HealthCheckResult> CheckAsync(PoolHealthCheck check) =>
        check.CheckHealthAsync(new HealthCheckContext(), TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _scripted.DisposeAsync();
}
