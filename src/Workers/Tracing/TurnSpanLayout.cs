using Workers.Turns;

namespace Workers.Tracing;

/// <summary>Where a turn's spans lie in time, from its record: the segments of the timing contract (<c>specs/timing.md</c>)
/// laid end to end from <c>enqueued</c>. Built from the same <see cref="TurnTiming"/> the record and the histograms carry,
/// never measured apart, so a span lasts exactly what its segment says.</summary>
/// <remarks>The segments tile the turn: queue wait [enqueued, claimed], lease [claimed, leased], cli_ready [leased, cli_ready],
/// session_init [cli_ready or leased, session_ready], remainder [the last of those, prompt sent or session ready],
/// model_first_token [that, first_token], stream [first_token, finished]. A null segment (a marker the family cannot
/// observe, or one never reached) gives no span, as it gives no histogram observation.</remarks>
public static class TurnSpanLayout
{
    public sealed record Span(string Name, DateTimeOffset Start, DateTimeOffset End)
    {
        public TimeSpan Duration => End - Start;
    }

    public static IReadOnlyList<Span> Of(DateTimeOffset enqueuedAt, TurnTiming timing)
    {
        var claimed = enqueuedAt + timing.QueueWait;
        var leased = claimed + timing.LeaseWait;
        var spans = new List<Span>(7)
        {
            new(TurnTracing.QueueWaitSpan, enqueuedAt, claimed),
            new(TurnTracing.LeaseSpan, claimed, leased),
        };
        DateTimeOffset? cliReady = timing.CliReady is { } cli ? leased + cli : null;
        DateTimeOffset? sessionReady = timing.SessionInit is { } session ? (cliReady ?? leased) + session : null;
        var lastBeforeModel = sessionReady ?? cliReady ?? leased;
        DateTimeOffset? firstToken = timing.SpawnToFirstToken is { } total ? leased + total : null;
        AddIf(spans, TurnTracing.CliReadySpan, leased, cliReady);
        AddIf(spans, TurnTracing.SessionInitSpan, cliReady ?? leased, sessionReady);
        AddIf(spans, TurnTracing.RemainderSpan, lastBeforeModel, timing.Remainder is { } rest ? lastBeforeModel + rest : null);
        if (firstToken is { } first)
        {
            if (timing.ModelFirstToken is { } model)
            {
                spans.Add(new Span(TurnTracing.ModelFirstTokenSpan, first - model, first));
            }

            AddIf(spans, TurnTracing.StreamSpan, first, Finished(enqueuedAt, timing));
        }

        return spans;
    }

    /// <summary>The end of the turn (<c>finished</c>), when the record has it.</summary>
    public static DateTimeOffset? Finished(DateTimeOffset enqueuedAt, TurnTiming timing) =>
        enqueuedAt + timing.QueueWait + timing.LeaseWait + timing.TurnDuration;

    private static void AddIf(List<Span> spans, string name, DateTimeOffset start, DateTimeOffset? end)
    {
        if (end is { } e)
        {
            spans.Add(new Span(name, start, e));
        }
    }
}
