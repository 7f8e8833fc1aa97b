using Workers.Service;

namespace Workers.Tests.Service;

/// <summary>The backoff and outage clock of the event sink, on exact times.</summary>
public sealed class StoreOutageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Failed_DoublesFromTheFlushIntervalToTheCap_AndASuccessStartsOver()
    {
        var outage = new StoreOutage(Interval);

        var delays = Enumerable.Range(0, 9).Select(i => outage.Failed(T0.AddSeconds(i)).TotalMilliseconds).ToList();

        Assert.Equal([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000], delays);
        Assert.Equal(T0, outage.Since);
        Assert.Equal(TimeSpan.FromSeconds(8), outage.Lasted(T0.AddSeconds(8)));

        outage.Succeeded();

        Assert.Null(outage.Since);
        Assert.Equal(TimeSpan.Zero, outage.Lasted(T0.AddSeconds(9)));
        Assert.Equal(Interval, outage.Failed(T0.AddSeconds(10)));
        Assert.Equal(T0.AddSeconds(10), outage.Since);
    }

    [Fact]
    public void Failed_FlushIntervalAboveTheCap_WaitsTheInterval()
    {
        var outage = new StoreOutage(TimeSpan.FromSeconds(20));

        Assert.Equal([20.0, 20.0], [outage.Failed(T0).TotalSeconds, outage.Failed(T0.AddSeconds(20)).TotalSeconds]);
    }

    [Fact]
    public void NextTry_FallsOnTheLimit_WhenItComesBeforeTheBackoff()
    {
        var outage = new StoreOutage(Interval);
        outage.Failed(T0);
        var limit = TimeSpan.FromSeconds(30);

        Assert.Equal(TimeSpan.FromSeconds(5), outage.NextTry(TimeSpan.FromSeconds(5), limit, T0.AddSeconds(20)));
        Assert.Equal(TimeSpan.FromSeconds(2), outage.NextTry(TimeSpan.FromSeconds(5), limit, T0.AddSeconds(28)));
        Assert.Equal(TimeSpan.FromSeconds(5), outage.NextTry(TimeSpan.FromSeconds(5), limit, T0.AddSeconds(30)));
    }
}
