using Microsoft.Extensions.Time.Testing;
using Workers.Turns;

namespace Workers.Tests.Turns;

public sealed class TurnClockTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Mark_Twice_KeepsTheFirstObservation()
    {
        var clock = new TurnClock(_time);
        clock.MarkLeased();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        clock.MarkCliReady();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        clock.MarkCliReady();
        clock.MarkFirstToken();

        var timing = clock.Compute();

        Assert.Equal(TimeSpan.FromMilliseconds(100), timing.CliReady);
        Assert.Equal(TimeSpan.FromMilliseconds(200), timing.SpawnToFirstToken);
    }

    [Fact]
    public void ResetForRetry_ForgetsMarkersButKeepsTheLease()
    {
        var clock = new TurnClock(_time);
        clock.MarkLeased();
        _time.Advance(TimeSpan.FromMilliseconds(300));
        clock.MarkCliReady();
        clock.ResetForRetry();
        _time.Advance(TimeSpan.FromMilliseconds(200));
        clock.MarkCliReady();
        clock.MarkFirstToken();

        var timing = clock.Compute();

        // The failed attempt's 300 ms stays in the wait, inside the new attempt's cli_ready.
        Assert.Equal(TimeSpan.FromMilliseconds(500), timing.CliReady);
        Assert.Equal(TimeSpan.FromMilliseconds(500), timing.SpawnToFirstToken);
    }

    [Fact]
    public void RestartFirstTokenWait_MovesWhereTheFirstTokenLimitCounts_NotTheLease()
    {
        var clock = new TurnClock(_time);
        clock.MarkLeased();
        var leased = clock.Leased;
        Assert.Equal(leased, clock.FirstTokenWaitStart);
        _time.Advance(TimeSpan.FromSeconds(20));

        clock.RestartFirstTokenWait();

        // A rerun after text gets the whole first-token limit; the turn's own limit and timing still count from the lease.
        Assert.Equal(leased, clock.Leased);
        Assert.Equal(TimeSpan.FromSeconds(20), _time.GetElapsedTime(leased, clock.FirstTokenWaitStart));
    }

    [Fact]
    public void Compute_EnqueuedBeforeClaim_CountsQueueWait()
    {
        var enqueued = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(2));
        var clock = new TurnClock(_time, enqueued);
        _time.Advance(TimeSpan.FromMilliseconds(50));
        clock.MarkLeased();
        _time.Advance(TimeSpan.FromMilliseconds(450));
        clock.MarkFirstToken();

        var timing = clock.Compute();

        Assert.Equal(TimeSpan.FromSeconds(2), timing.QueueWait);
        Assert.Equal(TimeSpan.FromMilliseconds(50), timing.LeaseWait);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), timing.TimeToFirstToken);
    }
}
