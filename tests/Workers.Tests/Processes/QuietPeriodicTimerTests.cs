using Microsoft.Extensions.Time.Testing;
using Workers.Processes;

namespace Workers.Tests.Processes;

public sealed class QuietPeriodicTimerTests
{
    [Fact]
    public async Task Ticks_OnThePeriod_ThenACancelEndsThePendingWaitWithFalse_WithoutAnException()
    {
        var clock = new FakeTimeProvider();
        using var end = new CancellationTokenSource();
        using var timer = new QuietPeriodicTimer(TimeSpan.FromSeconds(1), clock, end.Token);

        var first = timer.WaitForNextTickAsync();
        Assert.False(first.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await first);

        var pending = timer.WaitForNextTickAsync();
        Assert.False(pending.IsCompleted);
        await end.CancelAsync();
        Assert.True(pending.IsCompletedSuccessfully);
        Assert.False(await pending);
        Assert.False(await timer.WaitForNextTickAsync());
    }

    [Fact]
    public async Task ATokenCancelledBeforehand_EndsTheFirstWaitAtOnce()
    {
        using var timer = new QuietPeriodicTimer(TimeSpan.FromHours(1), new FakeTimeProvider(), new CancellationToken(canceled: true));

        var wait = timer.WaitForNextTickAsync();

        Assert.True(wait.IsCompletedSuccessfully);
        Assert.False(await wait);
    }
}
