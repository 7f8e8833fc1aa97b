using Workers.Reports;
using Workers.Turns;

namespace Workers.Tests.Reports;

public sealed class GoNoGoReportTests
{
    /// <summary>A continued turn that resumed its session, with the given shares of a 1 s wait.</summary>
    private static TurnResult Continued(double cliShare, double sessionShare, string session = "resumed") => new()
    {
        TurnId = Guid.NewGuid().ToString("N"),
        Profile = "p",
        Family = "acp-json-rpc",
        Status = TurnStatus.Succeeded,
        Process = "cold",
        Session = session,
        Turn = "continued",
        Timing = new TurnTiming
        {
            CliReady = TimeSpan.FromMilliseconds(1000 * cliShare),
            SessionInit = TimeSpan.FromMilliseconds(1000 * sessionShare),
            ModelFirstToken = TimeSpan.FromMilliseconds(1000 * (1 - cliShare - sessionShare)),
            Remainder = TimeSpan.Zero,
            SpawnToFirstToken = TimeSpan.FromSeconds(1),
        },
    };

    private static List<TurnResult> Many(int count, Func<int, TurnResult> make) => Enumerable.Range(0, count).Select(make).ToList();

    [Theory]
    [InlineData(0.30, true)]
    [InlineData(0.29, false)]
    public void SessionShareAtTheMedianThreshold_DecidesSessionReuse(double share, bool material)
    {
        var report = GoNoGoReport.From("p", Many(20, _ => Continued(0.1, share)));

        Assert.Equal(material, report.SessionReuseMaterial);
        Assert.Equal(material ? ["reuse-sessions"] : new[] { "provider-bound" }, report.Decisions);
    }

    [Theory]
    [InlineData(0.40, true)]
    [InlineData(0.39, false)]
    public void SessionShareAtTheP90Threshold_DecidesSessionReuse(double tailShare, bool material)
    {
        // 17 of 20 turns barely touch a session; the top 3 (above the 85th percentile) carry the tail.
        var report = GoNoGoReport.From("p", Many(20, i => Continued(0.05, i < 17 ? 0.05 : tailShare)));

        Assert.Equal(0.05, report.SessionShare.P50!.Value, 6);
        Assert.Equal(tailShare, report.SessionShare.P90!.Value, 6);
        Assert.Equal(material, report.SessionReuseMaterial);
    }

    [Theory]
    [InlineData(0.30, true)]
    [InlineData(0.29, false)]
    public void CliShareAtTheThreshold_DecidesAWarmPool(double share, bool dominates)
    {
        var report = GoNoGoReport.From("p", Many(20, _ => Continued(share, 0.05)));

        Assert.Equal(dominates, report.CliReadyDominates);
        Assert.Equal(dominates ? ["warm-pool"] : new[] { "provider-bound" }, report.Decisions);
    }

    [Fact]
    public void FidelityShare_IsOverContinuedTurnsThatCarryOne()
    {
        var turns = Many(6, _ => Continued(0.1, 0.1, session: "live") with { Fidelity = "live" });
        turns.AddRange(Many(2, _ => Continued(0.1, 0.3) with { Fidelity = "resumed" }));
        turns.AddRange(Many(1, _ => Continued(0.1, 0.3, session: "new") with { Fidelity = "transcript" }));
        turns.AddRange(Many(1, _ => Continued(0.1, 0.3, session: "new") with { Fidelity = "none" }));
        // First turns, and records written before fidelity existed, are outside the shares.
        turns.AddRange(Many(5, _ => Continued(0.1, 0.3, session: "prewarmed") with { Turn = "first", Fidelity = "first" }));
        turns.AddRange(Many(4, _ => Continued(0.1, 0.3)));

        var report = GoNoGoReport.From("p", turns);

        Assert.Equal(10, report.ContinuedWithFidelity);
        Assert.Equal(new Dictionary<string, double> { ["live"] = 0.6, ["resumed"] = 0.2, ["transcript"] = 0.1, ["none"] = 0.1 },
            report.FidelityShare);
    }

    [Fact]
    public void LiveAndFirstTurns_AreOutsideThePopulation_ButInTheCuts()
    {
        var turns = Many(12, _ => Continued(0.5, 0.4));
        turns.AddRange(Many(30, _ => Continued(0, 0.01, session: "live")));
        turns.AddRange(Many(5, _ => Continued(0.5, 0.4) with { Turn = "first" }));

        var report = GoNoGoReport.From("p", turns);

        Assert.Equal(12, report.Population);
        Assert.Equal(["reuse-sessions", "warm-pool"], report.Decisions);
        Assert.Equal(47, report.TurnsConsidered);
        Assert.Equal(42, report.SpawnToFirstTokenByTurn["continued"].Count);
        Assert.Equal(5, report.SpawnToFirstTokenByTurn["first"].Count);
        Assert.Equal(Math.Round(30.0 / 47, 4), report.RungShare["cold/live"]);
    }

    [Fact]
    public void FewerThanTenTurns_IsInsufficientData()
    {
        var report = GoNoGoReport.From("p", Many(9, _ => Continued(0.9, 0.05)));

        Assert.Equal(["insufficient-data"], report.Decisions);
    }

    [Theory]
    [InlineData(5, 2.571)]
    [InlineData(29, 2.045)]
    [InlineData(100, 1.984)]
    public void StudentT975_MatchesTheTable(int degrees, double expected) =>
        Assert.InRange(Difference.StudentT975(degrees), expected * 0.998, expected * 1.002);

    [Fact]
    public void Difference_OfPairs_HasAConfidenceIntervalAroundTheMean()
    {
        var difference = Difference.Of([1.0, 1.2, 0.9, 1.1, 1.3, 0.8], [0.2, 0.3, 0.2, 0.2, 0.3, 0.2]);

        Assert.Equal(0.8167, difference.Mean, 3);
        Assert.True(difference.Low < difference.Mean && difference.Mean < difference.High);
        Assert.True(difference.Low > 0.5);
    }
}
