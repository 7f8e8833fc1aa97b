using Prometheus;
using Workers.Turns;

namespace Workers.Metrics;

/// <summary>The exemplar a traced turn leaves on the turn histograms (<c>specs/tracing.md</c>): <c>trace_id</c>, and
/// <c>turn_id</c> when it fits, so a slow bucket in Grafana links to the trace and to <c>GET /v1/turns/{id}</c>. An
/// untraced turn leaves none (not even whatever trace happens to be current).</summary>
internal sealed class TurnExemplar
{
    /// <summary>OpenMetrics caps an exemplar's label names and values at 128 characters together.</summary>
    private const int MaxRunes = 128;

    private static readonly Exemplar.LabelKey TraceKey = Exemplar.Key("trace_id");
    private static readonly Exemplar.LabelKey TurnKey = Exemplar.Key("turn_id");

    private readonly Exemplar.LabelPair? _trace;
    private readonly Exemplar.LabelPair? _turn;

    public TurnExemplar(TurnResult result)
    {
        if (result.TraceId is not { } traceId)
        {
            return;
        }

        _trace = TraceKey.WithValue(traceId);
        if ("trace_id".Length + traceId.Length + "turn_id".Length + result.TurnId.Length <= MaxRunes)
        {
            _turn = TurnKey.WithValue(result.TurnId);
        }
    }

    /// <summary>A fresh exemplar for one observation: prometheus-net takes ownership of each one it is given.</summary>
    public Exemplar Next() => (_trace, _turn) switch
    {
        ({ } trace, { } turn) => Exemplar.From(trace, turn),
        ({ } trace, null) => Exemplar.From(trace),
        _ => Exemplar.None,
    };
}
