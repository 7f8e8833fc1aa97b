using Workers.Tracing;
using Workers.Turns;

namespace Workers.Tests.Tracing;

public sealed class TurnSpanLayoutTests
{
    private const long Frequency = 1_000_000_007;
    private static readonly DateTimeOffset Enqueued = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private static long Ms(double milliseconds) => (long)(milliseconds * Frequency / 1000);

    private static TurnTiming Timing(long? cli, long? session, long? prompt, long? first, long? finished) =>
        TurnTiming.From(new TurnMarkers(Enqueued, Enqueued.AddMilliseconds(25), Ms(1000), Ms(1010), Ms(1010), cli, session, prompt,
            first, finished), Frequency);

    [Fact]
    public void Of_ColdTurn_TilesEnqueueToFinishWithEachSegmentsDuration()
    {
        // A prompt written 50 ms after the session was ready: that wait is the remainder.
        var timing = Timing(cli: Ms(1400), session: Ms(1800), prompt: Ms(1850), first: Ms(2100), finished: Ms(2500));

        var spans = TurnSpanLayout.Of(Enqueued, timing);

        string[] names = ["queue_wait", "lease", "cli_ready", "session_init", "remainder", "model_first_token", "stream"];
        Assert.Equal(names, spans.Select(s => s.Name));
        for (var i = 1; i < spans.Count; i++)
        {
            Assert.Equal(spans[i - 1].End, spans[i].Start);
        }

        Assert.Equal(Enqueued, spans[0].Start);
        Assert.Equal(TurnSpanLayout.Finished(Enqueued, timing), spans[^1].End);
        Assert.Equal(timing.QueueWait, spans[0].Duration);
        Assert.Equal(timing.LeaseWait, spans[1].Duration);
        Assert.Equal(timing.CliReady, spans[2].Duration);
        Assert.Equal(timing.SessionInit, spans[3].Duration);
        Assert.Equal(timing.Remainder, spans[4].Duration);
        Assert.Equal(50, spans[4].Duration.TotalMilliseconds, 3);
        Assert.Equal(timing.ModelFirstToken, spans[5].Duration);
        Assert.Equal(timing.TurnDuration - timing.SpawnToFirstToken, spans[6].Duration);
    }

    [Fact]
    public void Of_PlainFamily_UnobservableMarkersGiveNoSpan()
    {
        // plain observes neither readiness nor a session: their time stays in the model's segment, as in the record.
        var timing = Timing(cli: null, session: null, prompt: Ms(1011), first: Ms(1300), finished: Ms(1400));

        var spans = TurnSpanLayout.Of(Enqueued, timing);

        Assert.Equal(["queue_wait", "lease", "remainder", "model_first_token", "stream"], spans.Select(s => s.Name));
        Assert.Equal(spans[1].End, spans[2].Start);
        Assert.Equal(spans[2].End, spans[3].Start);
        Assert.Equal(timing.ModelFirstToken, spans[3].Duration);
    }

    [Fact]
    public void Of_TurnWithoutFirstToken_StopsAtTheLastMarkerItReached()
    {
        var timing = Timing(cli: Ms(1400), session: Ms(1800), prompt: Ms(1850), first: null, finished: Ms(2500));

        var spans = TurnSpanLayout.Of(Enqueued, timing);

        Assert.Equal(["queue_wait", "lease", "cli_ready", "session_init"], spans.Select(s => s.Name));
        Assert.Equal(Enqueued + timing.QueueWait + timing.LeaseWait + timing.TurnDuration, TurnSpanLayout.Finished(Enqueued, timing));
    }
}
