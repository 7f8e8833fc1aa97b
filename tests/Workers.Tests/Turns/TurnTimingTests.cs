using Workers.Turns;

namespace Workers.Tests.Turns;

public sealed class TurnTimingTests
{
    // An odd frequency catches code that assumes Stopwatch ticks are TimeSpan ticks.
    private const long Frequency = 1_000_000_007;
    private static readonly DateTimeOffset Enqueued = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private static long Ms(double milliseconds) => (long)(milliseconds * Frequency / 1000);

    private static TurnMarkers Markers(long leased, long? spawned = null, long? cli = null, long? session = null, long? prompt = null,
        long? first = null, long? finished = null, TimeSpan? queued = null, long? claimed = null) =>
        new(Enqueued, Enqueued + (queued ?? TimeSpan.Zero), claimed ?? leased, leased, spawned, cli, session, prompt, first, finished);

    [Fact]
    public void From_ColdClaudeTurn_SegmentsFollowTheMarkers()
    {
        var t = TurnTiming.From(Markers(Ms(1000), spawned: Ms(1000), cli: Ms(1400), prompt: Ms(1401), session: Ms(1800), first: Ms(2100),
            finished: Ms(2500)), Frequency);

        Assert.Equal(400, t.CliReady!.Value.TotalMilliseconds, 3);
        Assert.Equal(400, t.SessionInit!.Value.TotalMilliseconds, 3);
        Assert.Equal(300, t.ModelFirstToken!.Value.TotalMilliseconds, 3);
        Assert.Equal(TimeSpan.Zero, t.Remainder);
        Assert.Equal(1100, t.SpawnToFirstToken!.Value.TotalMilliseconds, 3);
        Assert.Equal(1500, t.TurnDuration!.Value.TotalMilliseconds, 3);
    }

    [Fact]
    public void From_WarmProcess_MarkersBeforeLeasedCountAsLeased()
    {
        // Spawned and ready 5 s before the turn: none of that is the turn's wait.
        var t = TurnTiming.From(Markers(Ms(10_000), spawned: Ms(5000), cli: Ms(5400), session: Ms(10_003), prompt: Ms(10_001),
            first: Ms(10_300)), Frequency);

        Assert.Equal(TimeSpan.Zero, t.CliReady);
        Assert.Equal(3, t.SessionInit!.Value.TotalMilliseconds, 3);
        Assert.Equal(297, t.ModelFirstToken!.Value.TotalMilliseconds, 3);
        Assert.Equal(5000, t.ProcessAgeAtLease!.Value.TotalMilliseconds, 3);
    }

    [Fact]
    public void From_PlainFamily_UnobservableSegmentsAreNullAndTheirTimeStaysInTheRemainder()
    {
        var t = TurnTiming.From(Markers(Ms(0), spawned: Ms(0), prompt: Ms(40), first: Ms(340)), Frequency);

        Assert.Null(t.CliReady);
        Assert.Null(t.SessionInit);
        Assert.Equal(300, t.ModelFirstToken!.Value.TotalMilliseconds, 3);
        Assert.Equal(40, t.Remainder!.Value.TotalMilliseconds, 3);
        Assert.Equal(340, t.SpawnToFirstToken!.Value.TotalMilliseconds, 3);
    }

    [Fact]
    public void From_PromptWrittenBeforeReadiness_JsonEventStreamOrderStillSums()
    {
        // codex exec: the prompt goes in at spawn; thread.started and turn.started come after it.
        var t = TurnTiming.From(Markers(Ms(0), spawned: Ms(0), prompt: Ms(1), cli: Ms(150), session: Ms(250), first: Ms(500)), Frequency);

        Assert.Equal(150, t.CliReady!.Value.TotalMilliseconds, 3);
        Assert.Equal(100, t.SessionInit!.Value.TotalMilliseconds, 3);
        Assert.Equal(250, t.ModelFirstToken!.Value.TotalMilliseconds, 3);
        Assert.Equal(TimeSpan.Zero, t.Remainder);
    }

    [Fact]
    public void From_OutOfOrderMarkers_AreClamped()
    {
        // A session marker seen before the readiness marker is clamped up to it.
        var t = TurnTiming.From(Markers(Ms(100), cli: Ms(300), session: Ms(200), first: Ms(250)), Frequency);

        Assert.Equal(200, t.CliReady!.Value.TotalMilliseconds, 3);
        Assert.Equal(TimeSpan.Zero, t.SessionInit);
        Assert.Equal(TimeSpan.Zero, t.ModelFirstToken);
        Assert.Equal(200, t.SpawnToFirstToken!.Value.TotalMilliseconds, 3);
    }

    [Fact]
    public void From_NoFirstToken_ModelSegmentsAreNull()
    {
        var t = TurnTiming.From(Markers(Ms(0), cli: Ms(10), session: Ms(20), finished: Ms(30)), Frequency);

        Assert.NotNull(t.CliReady);
        Assert.Null(t.ModelFirstToken);
        Assert.Null(t.Remainder);
        Assert.Null(t.SpawnToFirstToken);
        Assert.Null(t.TimeToFirstToken);
        Assert.Equal(30, t.TurnDuration!.Value.TotalMilliseconds, 3);
    }

    [Fact]
    public void From_QueuedTurn_TimeToFirstTokenAddsQueueAndLeaseWait()
    {
        var t = TurnTiming.From(Markers(Ms(2000), claimed: Ms(1500), queued: TimeSpan.FromSeconds(3), first: Ms(2400)), Frequency);

        Assert.Equal(3, t.QueueWait.TotalSeconds, 6);
        Assert.Equal(500, t.LeaseWait.TotalMilliseconds, 3);
        Assert.Equal(3900, t.TimeToFirstToken!.Value.TotalMilliseconds, 3);
    }

    [Fact]
    public void From_AnyMarkers_FourSegmentsSumExactlyToSpawnToFirstToken()
    {
        var random = new Random(20261124);
        for (var i = 0; i < 10_000; i++)
        {
            long? Maybe(long value) => random.Next(5) == 0 ? null : value;
            var leased = random.NextInt64(0, Ms(100_000));
            long Around() => leased + random.NextInt64(-Ms(5000), Ms(5000));
            var markers = Markers(leased, cli: Maybe(Around()), session: Maybe(Around()), prompt: Maybe(Around()), first: Around());

            var t = TurnTiming.From(markers, Frequency);

            var sum = (t.CliReady ?? TimeSpan.Zero) + (t.SessionInit ?? TimeSpan.Zero) + t.ModelFirstToken!.Value + t.Remainder!.Value;
            Assert.Equal(t.SpawnToFirstToken, sum);
            Assert.True(t.CliReady is null || t.CliReady >= TimeSpan.Zero);
            Assert.True(t.SessionInit is null || t.SessionInit >= TimeSpan.Zero);
            Assert.True(t.ModelFirstToken >= TimeSpan.Zero);
            Assert.True(t.Remainder >= TimeSpan.Zero, $"negative remainder for {markers}");
        }
    }

    [Fact]
    public void StoredRecord_ReadsBackWithItsSegments()
    {
        var timing = TurnTiming.From(Markers(Ms(0), cli: Ms(400), session: Ms(800), prompt: Ms(801), first: Ms(1100), finished: Ms(1500)), Frequency);
        var record = new TurnResult { TurnId = "t", Profile = "p", Family = "plain", Status = TurnStatus.Succeeded, Turn = "first", Timing = timing };

        var json = System.Text.Json.JsonSerializer.Serialize(record, Workers.Serialization.WorkersJson.Options);
        var read = System.Text.Json.JsonSerializer.Deserialize<TurnResult>(json, Workers.Serialization.WorkersJson.Options)!;

        Assert.Equal(timing.CliReady!.Value.TotalMilliseconds, read.Timing.CliReady!.Value.TotalMilliseconds, 3);
        Assert.Equal(timing.SpawnToFirstToken!.Value.TotalMilliseconds, read.Timing.SpawnToFirstToken!.Value.TotalMilliseconds, 3);
        Assert.Null(read.Timing.ProcessAgeAtLease);
    }
}
