using Workers.Families;
using Workers.Turns;

namespace Workers.Reports;

/// <summary>The go/no-go analysis of DESIGN.md computed from turn records: where does the pre-first-token wait of
/// continued turns go, and therefore what pays — reusing sessions, a warm process pool, or neither (the wait is the
/// provider's)?</summary>
/// <remarks>Live turns have no session cost by construction, so the rule looks at the successful continued turns
/// that opened or resumed a session (<c>session</c> = <c>new</c> or <c>resumed</c>).</remarks>
public sealed record GoNoGoReport
{
    /// <summary>Session reuse is material when its share of the wait is at least this at the median…</summary>
    public const double SessionShareP50Threshold = 0.30;

    /// <summary>… or at least this at p90.</summary>
    public const double SessionShareP90Threshold = 0.40;

    /// <summary>A warm pool pays when CLI start-up takes at least this share of the wait at the median.</summary>
    public const double CliShareP50Threshold = 0.30;

    public required string Profile { get; init; }

    public required int TurnsConsidered { get; init; }

    /// <summary>Successful continued turns that opened or resumed a session: the population of the rule.</summary>
    public required int Population { get; init; }

    public required Quantiles SessionShare { get; init; }

    public required Quantiles CliReadyShare { get; init; }

    public required Quantiles ModelShare { get; init; }

    public required bool SessionReuseMaterial { get; init; }

    public required bool CliReadyDominates { get; init; }

    /// <summary><c>reuse-sessions</c>, <c>warm-pool</c>, both, or <c>provider-bound</c>; <c>insufficient-data</c> with fewer than 10 turns.</summary>
    public required IReadOnlyList<string> Decisions { get; init; }

    /// <summary><c>spawn_to_first_token</c> of first vs continued successful turns (seconds).</summary>
    public required IReadOnlyDictionary<string, Quantiles> SpawnToFirstTokenByTurn { get; init; }

    /// <summary>Share of turns per rung, <c>process/session</c>.</summary>
    public required IReadOnlyDictionary<string, double> RungShare { get; init; }

    /// <summary>Continued turns that carry a fidelity (records written before it existed have none): the population of
    /// <see cref="FidelityShare"/>.</summary>
    public int ContinuedWithFidelity { get; init; }

    /// <summary>Share of those continued turns per fidelity (<c>live</c>, <c>resumed</c>, <c>transcript</c>, <c>none</c>):
    /// how often the conversation survived in the agent's own session.</summary>
    public IReadOnlyDictionary<string, double> FidelityShare { get; init; } = new Dictionary<string, double>();

    public const int MinimumPopulation = 10;

    public static GoNoGoReport From(string profile, IReadOnlyCollection<TurnResult> turns)
    {
        var succeeded = turns.Where(t => t.Status == TurnStatus.Succeeded && t.Timing.SpawnToFirstToken > TimeSpan.Zero).ToList();
        var population = succeeded.Where(t => t.Turn == "continued" && t.Session is StartKinds.New or StartKinds.Resumed).ToList();
        static double? Share(TimeSpan? part, TurnResult t) => part is { } p ? p / t.Timing.SpawnToFirstToken!.Value : null;
        var session = Quantiles.Of(population.Select(t => Share(t.Timing.SessionInit, t)));
        var cli = Quantiles.Of(population.Select(t => Share(t.Timing.CliReady, t)));
        var model = Quantiles.Of(population.Select(t => Share(t.Timing.ModelFirstToken, t)));
        var sessionMaterial = session.P50 >= SessionShareP50Threshold || session.P90 >= SessionShareP90Threshold;
        var cliDominates = cli.P50 >= CliShareP50Threshold;
        var decisions = new List<string>();
        if (population.Count < MinimumPopulation)
        {
            decisions.Add("insufficient-data");
        }
        else
        {
            if (sessionMaterial)
            {
                decisions.Add("reuse-sessions");
            }

            if (cliDominates)
            {
                decisions.Add("warm-pool");
            }

            if (decisions.Count == 0)
            {
                decisions.Add("provider-bound");
            }
        }

        var withFidelity = turns.Where(t => t.Turn == "continued" && t.Fidelity is not null).ToList();
        return new GoNoGoReport
        {
            Profile = profile,
            TurnsConsidered = turns.Count,
            Population = population.Count,
            SessionShare = session,
            CliReadyShare = cli,
            ModelShare = model,
            SessionReuseMaterial = sessionMaterial,
            CliReadyDominates = cliDominates,
            Decisions = decisions,
            SpawnToFirstTokenByTurn = succeeded.GroupBy(t => t.Turn)
                .ToDictionary(g => g.Key, g => Quantiles.Of(g.Select(t => (double?)t.Timing.SpawnToFirstToken!.Value.TotalSeconds))),
            RungShare = turns.Count == 0
                ? new Dictionary<string, double>()
                : turns.Where(t => t.Process is not null).GroupBy(t => $"{t.Process}/{t.Session}")
                    .ToDictionary(g => g.Key, g => Math.Round((double)g.Count() / turns.Count, 4)),
            ContinuedWithFidelity = withFidelity.Count,
            FidelityShare = withFidelity.GroupBy(t => t.Fidelity!)
                .ToDictionary(g => g.Key, g => Math.Round((double)g.Count() / withFidelity.Count, 4)),
        };
    }
}

/// <summary>Median and 90th percentile (nearest rank) of a sample, with its size; null when empty.</summary>
public sealed record Quantiles(int Count, double? P50, double? P90)
{
    public static Quantiles Of(IEnumerable<double?> values)
    {
        var present = values.Where(v => v is not null).Select(v => v!.Value).ToArray();
        return new Quantiles(present.Length, Percentiles.Of(present, 50), Percentiles.Of(present, 90));
    }
}
