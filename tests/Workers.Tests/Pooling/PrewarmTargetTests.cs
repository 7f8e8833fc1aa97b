using Microsoft.Extensions.Time.Testing;
using Workers.Pooling;
using Workers.Profiles;

namespace Workers.Tests.Pooling;

public sealed class PrewarmTargetTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly AdaptivePrewarmOptions _options = new()
    {
        SafetyFactor = 2,
        RateWindow = TimeSpan.FromSeconds(60),
        HoldDown = TimeSpan.FromMinutes(2),
    };

    /// <summary>Arrivals as the pool sees them: each lease records one and re-evaluates the target.</summary>
    private void Arrive(PrewarmTarget target, int count, TimeSpan spacing)
    {
        for (var i = 0; i < count; i++)
        {
            target.RecordArrival(_options.RateWindow);
            target.Evaluate(1, 8, _options);
            _time.Advance(spacing);
        }
    }

    [Fact]
    public void Evaluate_NoDemand_StaysAtMinReady()
    {
        var target = new PrewarmTarget(_time, 1);
        target.RecordWarmup(TimeSpan.FromSeconds(2));

        Assert.Equal(1, target.Evaluate(1, 8, _options));
    }

    [Fact]
    public void Evaluate_ArrivalRateRises_TargetRisesAtOnce()
    {
        var target = new PrewarmTarget(_time, 1);
        target.RecordWarmup(TimeSpan.FromSeconds(2));

        // One turn a second for two minutes: ≈1/s × 2 s warm-up × 2 safety = 4.
        Arrive(target, 120, TimeSpan.FromSeconds(1));

        Assert.InRange(target.ArrivalRate, 0.8, 1.05);
        Assert.Equal(4, target.Evaluate(1, 8, _options));
    }

    [Fact]
    public void Evaluate_DemandFalls_TargetStepsDownOnePerHoldDown()
    {
        var target = new PrewarmTarget(_time, 1);
        target.RecordWarmup(TimeSpan.FromSeconds(2));
        Arrive(target, 120, TimeSpan.FromSeconds(1));
        Assert.Equal(4, target.Evaluate(1, 8, _options));

        // Arrivals stop. Ten minutes later the rate is ~0, but the target only falls one step per hold-down.
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(4, target.Evaluate(1, 8, _options));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(4, target.Evaluate(1, 8, _options));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, target.Evaluate(1, 8, _options));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(2, target.Evaluate(1, 8, _options));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, target.Evaluate(1, 8, _options));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, target.Evaluate(1, 8, _options));
    }

    [Fact]
    public void Evaluate_BurstDuringHoldDown_CancelsTheDescent()
    {
        var target = new PrewarmTarget(_time, 1);
        target.RecordWarmup(TimeSpan.FromSeconds(2));
        Arrive(target, 120, TimeSpan.FromSeconds(1));
        Assert.Equal(4, target.Evaluate(1, 8, _options));
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(4, target.Evaluate(1, 8, _options));

        Arrive(target, 120, TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(4, target.Evaluate(1, 8, _options));
    }

    [Fact]
    public void Evaluate_IsClampedToMinAndMaxReady()
    {
        var target = new PrewarmTarget(_time, 1);
        target.RecordWarmup(TimeSpan.FromSeconds(10));
        Arrive(target, 600, TimeSpan.FromMilliseconds(200));

        Assert.Equal(6, target.Evaluate(2, 6, _options));
        Assert.Equal(3, target.Evaluate(3, 3, _options));
    }

    [Fact]
    public void Evaluate_Disabled_IsMinReady()
    {
        var target = new PrewarmTarget(_time, 1);
        target.RecordWarmup(TimeSpan.FromSeconds(2));
        Arrive(target, 120, TimeSpan.FromSeconds(1));

        Assert.Equal(2, target.Evaluate(2, 8, new AdaptivePrewarmOptions { Enabled = false }));
    }
}
