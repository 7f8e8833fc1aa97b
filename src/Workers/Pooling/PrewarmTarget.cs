using Workers.Profiles;

namespace Workers.Pooling;

/// <summary>How many ready processes a pool keeps: arrivals per second (exponentially weighted) × the time a
/// process takes to warm up × a safety factor, clamped to [MinReady, MaxReady]. It rises at once when demand
/// rises; it falls one process at a time, each step only after the lower value held for the hold-down period,
/// so a burst followed by a lull does not make the pool flap.</summary>
public sealed class PrewarmTarget
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private double _rate;
    private long _rateAt;
    private double _warmupSeconds;
    private int _current;
    private long? _lowerSince;

    /// <summary>The rate window of the last arrival, used to decay the rate when it is read without one.</summary>
    private TimeSpan _window = TimeSpan.FromSeconds(60);

    public PrewarmTarget(TimeProvider timeProvider, int initial)
    {
        _timeProvider = timeProvider;
        _rateAt = timeProvider.GetTimestamp();
        _current = initial;
    }

    /// <summary>Arrivals per second, decayed to now.</summary>
    public double ArrivalRate
    {
        get
        {
            lock (_lock)
            {
                return DecayedRate_NeedsLock(_timeProvider.GetTimestamp(), window: null);
            }
        }
    }

    /// <summary>The smoothed time a process took from spawn to ready.</summary>
    public TimeSpan Warmup
    {
        get
        {
            lock (_lock)
            {
                return TimeSpan.FromSeconds(_warmupSeconds);
            }
        }
    }

    /// <summary>One turn asked for a process.</summary>
    public void RecordArrival(TimeSpan window)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetTimestamp();
            _window = window;
            // An exponentially decaying count: each arrival adds 1/τ, everything decays with e^(-Δt/τ), so the
            // value estimates arrivals per second over roughly the last τ.
            _rate = DecayedRate_NeedsLock(now, window) + 1 / window.TotalSeconds;
            _rateAt = now;
        }
    }

    /// <summary>A process became ready after <paramref name="warmup"/>.</summary>
    public void RecordWarmup(TimeSpan warmup)
    {
        lock (_lock)
        {
            _warmupSeconds = _warmupSeconds == 0 ? warmup.TotalSeconds : (0.8 * _warmupSeconds) + (0.2 * warmup.TotalSeconds);
        }
    }

    /// <summary>The target now, moving the current value up at once or down one step after the hold-down.</summary>
    public int Evaluate(int minReady, int maxReady, AdaptivePrewarmOptions options)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetTimestamp();
            if (!options.Enabled)
            {
                _current = minReady;
                return _current;
            }

            var demand = DecayedRate_NeedsLock(now, options.RateWindow) * _warmupSeconds * options.SafetyFactor;
            var wanted = Math.Clamp((int)Math.Ceiling(demand - 1e-9), minReady, maxReady);
            if (wanted >= _current)
            {
                _current = wanted;
                _lowerSince = null;
            }
            else if (_lowerSince is null)
            {
                _lowerSince = now;
            }
            else if (_timeProvider.GetElapsedTime(_lowerSince.Value, now) >= options.HoldDown)
            {
                _current--;
                _lowerSince = _current > wanted ? now : null;
            }

            _current = Math.Clamp(_current, minReady, maxReady);
            return _current;
        }
    }

    private double DecayedRate_NeedsLock(long now, TimeSpan? window)
    {
        var tau = (window ?? _window).TotalSeconds;
        var elapsed = _timeProvider.GetElapsedTime(_rateAt, now).TotalSeconds;
        return _rate * Math.Exp(-elapsed / tau);
    }
}
