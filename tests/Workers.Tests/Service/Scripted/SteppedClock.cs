using Microsoft.Extensions.Time.Testing;

namespace Workers.Tests.Service.Scripted;

/// <summary>A fake clock that knows the timers started on it (a <c>Task.Delay</c> on it is one), so a test moves it
/// exactly to the next wake-up, and only once something waits: what it observes then happened at known times, however
/// slowly the code under test gets the CPU. It also counts the timers made on it, so a test that moves the clock itself
/// can wait until code has armed its next wait (a retry's delay, say) instead of racing it.</summary>
internal sealed class SteppedClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<Wait> _waits = [];
    private int _timersCreated;

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        var wait = new Wait(this, base.CreateTimer(callback, state, dueTime, period), GetUtcNow(), dueTime, period);
        lock (_lock)
        {
            _waits.Add(wait);
        }

        return wait;
    }

    /// <summary>Until <paramref name="condition"/> holds: whenever a timer waits, moves the clock to the earliest
    /// wake-up; otherwise lets the code under test run.</summary>
    public Task StepUntilAsync(Func<Task<bool>> condition) => Bounded.UntilAsync(async () =>
    {
        if (await condition())
        {
            return true;
        }

        var now = GetUtcNow();
        if (NextWakeAfter(now) is { } wake)
        {
            Advance(wake - now);
        }

        return false;
    });

    private DateTimeOffset? NextWakeAfter(DateTimeOffset now)
    {
        lock (_lock)
        {
            return _waits.Select(w => w.NextWakeAfter(now)).Where(w => w is not null).Min();
        }
    }

    private void Forget(Wait wait)
    {
        lock (_lock)
        {
            _waits.Remove(wait);
        }
    }

    private sealed class Wait(SteppedClock clock, ITimer timer, DateTimeOffset startedAt, TimeSpan dueTime, TimeSpan period) : ITimer
    {
        private DateTimeOffset _startedAt = startedAt;
        private TimeSpan _dueTime = dueTime;
        private TimeSpan _period = period;

        public DateTimeOffset? NextWakeAfter(DateTimeOffset now)
        {
            if (_dueTime == Timeout.InfiniteTimeSpan)
            {
                return null;
            }

            var due = _startedAt + _dueTime;
            if (due > now)
            {
                return due;
            }

            if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
            {
                return null;
            }

            return due + (((now - due).Ticks / _period.Ticks) + 1) * _period;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            (_startedAt, _dueTime, _period) = (clock.GetUtcNow(), dueTime, period);
            return timer.Change(dueTime, period);
        }

        public void Dispose()
        {
            clock.Forget(this);
            timer.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            clock.Forget(this);
            return timer.DisposeAsync();
        }
    }
}
