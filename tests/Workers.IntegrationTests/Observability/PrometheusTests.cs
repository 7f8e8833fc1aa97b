using System.Globalization;
using System.Text;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Observability;

/// <summary>The ops/ artefacts against a real Prometheus (the Debian package; <c>.ci/prepare.sh</c> installs it): the service runs
/// in-process with simulated agents, a small workload goes through its HTTP API, Prometheus scrapes <c>/metrics</c> every second with
/// the rule files loaded, and every recording rule, alert and dashboard query must evaluate without error — and return series, but
/// for the few listed in <see cref="MayBeEmpty"/>.</summary>
[Trait("Category", "Prometheus")]
public sealed class PrometheusTests
{
    /// <summary>Expressions that may legitimately return no series on this workload, each with the reason. Keyed by alert name or
    /// by dashboard panel title and query refId.</summary>
    private static readonly Dictionary<string, string> MayBeEmpty = new(StringComparer.Ordinal)
    {
        // Alert conditions: empty is the healthy answer. Whether one holds at the moment of the query is not something the
        // workload can make certain (its lease timeouts and its profile that cannot start trip some of them, or not yet).
        ["alert:WorkersTimeToFirstTokenBudgetBurnFast"] = "an alert condition (the workload's lease timeouts count as SLO errors)",
        ["alert:WorkersTimeToFirstTokenBudgetBurnSlow"] = "an alert condition (the workload's lease timeouts count as SLO errors)",
        ["alert:WorkersWarmHitShareLow"] = "an alert condition; needs 15 turns of a profile in 15 min, the workload has fewer",
        ["alert:WorkersPoolExhausted"] = "an alert condition (the workload's lease timeouts usually trip it)",
        ["alert:WorkersProcessesCrashLooping"] = "an alert condition (obs-sim-broken usually trips it)",
        ["alert:WorkersQueueBacklogGrowing"] = "an alert condition; the workload never queues 10 turns of a profile",
        ["alert:WorkersQueueOldestTurnStuck"] = "an alert condition; no turn is queued for 5 minutes",
        ["alert:WorkersStaleResumeSpike"] = "an alert condition; the workload has 2 stale resumes, the alert needs 5",
        ["alert:WorkersResumeFidelityLow"] =
            "an alert condition; needs 10 continued turns of a profile that resumes, the workload has fewer",
        ["alert:WorkersEngineeringFailuresHigh"] = "an alert condition; needs 10 turns of a profile in 5 min, the workload has about 12",
        ["alert:WorkersScrapeFailing"] = "an alert condition; the scrape succeeds",
        ["alert:WorkersPoolUnavailable"] =
            "an alert condition (obs-sim-broken turns unavailable once its failed starts reach the limit, or not yet at the query)",
        ["alert:WorkersDataVolumeFilling"] = "an alert condition; the test machine's disk has more than 10 % free, or not",
        ["alert:WorkersCanaryFailing"] = "an alert condition; the workload's canaries succeed",
        ["alert:WorkersCanarySlower"] = "an alert condition; the workload's canaries are as fast as their baseline, the same few minutes",
    };

    /// <summary>Recording rules whose value must be a number (not NaN), not only a series: the core of the dashboard and the SLO.</summary>
    private static readonly string[] MustBeFinite =
    [
        "workers:turn_time_to_first_token_seconds:p90_5m",
        "workers:turn_spawn_to_first_token_seconds:p90_5m",
        "workers:turn_spawn_to_first_token_seconds:mean_5m",
        "workers:turn_model_first_token_seconds:mean_per_turn_5m",
        "workers:turn_warm_share:ratio_5m",
        "workers:turn_rung_share:ratio_5m",
        "workers:turn_engineering_failures:ratio_5m",
        "workers:turn_failures:ratio_5m",
        "workers:prompt_cache_hit:ratio_5m",
        "workers:turn_ttft_slo_errors:ratio_rate5m",
    ];

    [Fact(Timeout = 90_000)]
    public async Task RealPrometheus_ScrapingAWorkload_EvaluatesEveryRuleAndDashboardQueryWithData()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // Fail, not skip, when Prometheus is missing: CI installs it (.ci/prepare.sh).
        PrometheusServer.Require("prometheus");
        PrometheusServer.Require("promtool");
        var promtool = RunPromtoolAsync(cancellationToken);

        await using var sim = new SimHarness();
        ObservabilityWorkload.AddProfiles(sim);
        await using var service = await ServiceHarness.StartAsync(sim, ObservabilityWorkload.CanarySettings);
        await using var prometheus = await PrometheusServer.StartAsync(service.Client.BaseAddress!.Authority,
            [OpsFiles.RecordingRules, OpsFiles.AlertRules], sim.Marker, cancellationToken);

        // Samples before, between and after two rounds, so the counters rise between scrapes and rates are not zero.
        await prometheus.WaitForScrapesAsync(2, cancellationToken);
        await ObservabilityWorkload.RunRoundAsync(service, 1, cancellationToken);
        await prometheus.WaitForScrapesAsync(2, cancellationToken);
        await ObservabilityWorkload.RunRoundAsync(service, 2, cancellationToken);
        await prometheus.WaitForScrapesAsync(3, cancellationToken);

        var problems = new List<string>();
        problems.AddRange(await promtool);
        problems.AddRange(await CheckRulesAsync(prometheus, cancellationToken));
        problems.AddRange(await CheckDashboardAsync(prometheus, cancellationToken));

        Assert.True(problems.Count == 0, $"{problems.Count} problem(s):\n{string.Join('\n', problems)}\n\n"
            + $"Scraped workers_* series:\n{await ScrapedSeriesAsync(prometheus, cancellationToken)}\nPrometheus log:\n{prometheus.Log}");
    }

    /// <summary><c>promtool check rules</c>, <c>promtool test rules</c> on ops/prometheus/tests, and <c>promtool check config</c> on
    /// the example configuration (which loads the rule files).</summary>
    private static async Task<List<string>> RunPromtoolAsync(CancellationToken cancellationToken)
    {
        var tests = Directory.GetFiles(OpsFiles.RuleTestsDirectory, "*.yml").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(tests);
        var problems = new List<string>();
        foreach (var arguments in new[]
        {
            new[] { "check", "rules", OpsFiles.RecordingRules, OpsFiles.AlertRules },
            ["test", "rules", .. tests],
            ["check", "config", OpsFiles.ExampleConfig],
        })
        {
            var run = await Promtool.RunAsync(arguments, cancellationToken);
            if (run.ExitCode != 0)
            {
                problems.Add($"promtool {string.Join(' ', arguments.Select(Path.GetFileName))} exited {run.ExitCode}:\n{run.Output}");
            }
        }

        return problems;
    }

    /// <summary>Every loaded rule is healthy; every recording rule's expression and recorded series, and every alert's expression,
    /// evaluate without error, and return series unless <see cref="MayBeEmpty"/> says why not.</summary>
    private static async Task<List<string>> CheckRulesAsync(PrometheusServer prometheus, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var rules = (await prometheus.RulesAsync(cancellationToken)).EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .ToList();
        var recording = rules.Where(r => r.GetProperty("type").GetString() == "recording").ToList();
        var alerting = rules.Where(r => r.GetProperty("type").GetString() == "alerting").ToList();
        Assert.True(recording.Count >= 40 && alerting.Count >= 8,
            $"Prometheus loaded {recording.Count} recording and {alerting.Count} alerting rules.");

        foreach (var rule in rules)
        {
            var name = rule.GetProperty("name").GetString()!;
            if (rule.GetProperty("health").GetString() != "ok")
            {
                problems.Add($"rule {name}: health {rule.GetProperty("health").GetString()}: "
                    + (rule.TryGetProperty("lastError", out var error) ? error.GetString() : ""));
            }
        }

        foreach (var rule in recording)
        {
            var name = rule.GetProperty("name").GetString()!;
            var query = rule.GetProperty("query").GetString()!;
            problems.AddRange(Expect(name, query, await prometheus.QueryAsync(query, cancellationToken), mayBeEmpty: null));
            var recorded = await prometheus.QueryAsync(name, cancellationToken);
            problems.AddRange(Expect($"{name} (recorded)", name, recorded, mayBeEmpty: null));
            if (MustBeFinite.Contains(name) && recorded.FiniteCount == 0)
            {
                problems.Add($"{name}: only NaN/Inf samples; expected a number from the workload: {Samples(recorded)}");
            }
        }

        foreach (var rule in alerting)
        {
            var name = rule.GetProperty("name").GetString()!;
            var query = rule.GetProperty("query").GetString()!;
            problems.AddRange(Expect($"alert {name}", query, await prometheus.QueryAsync(query, cancellationToken),
                MayBeEmpty.GetValueOrDefault($"alert:{name}")));
        }

        var missing = MustBeFinite.Where(n => recording.All(r => r.GetProperty("name").GetString() != n));
        problems.AddRange(missing.Select(n => $"{n}: no such recording rule (MustBeFinite is stale)"));
        return problems;
    }

    /// <summary>Every query of the dashboard, with its variables set to the workload's profiles and families and the interval
    /// variables to 1m, and its template variables' <c>label_values</c> queries.</summary>
    private static async Task<List<string>> CheckDashboardAsync(PrometheusServer prometheus, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var dashboard = OpsFiles.LoadDashboard();
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["profile"] = string.Join('|', ObservabilityWorkload.Profiles),
            ["family"] = string.Join('|', ObservabilityWorkload.Families),
            ["datasource"] = "prometheus",
        };
        var queries = OpsFiles.PanelQueries(dashboard);
        Assert.True(queries.Count >= 20, $"The dashboard has only {queries.Count} queries.");
        foreach (var query in queries)
        {
            var label = $"panel \"{query.Panel}\" {query.RefId}";
            string expr;
            try
            {
                expr = OpsFiles.Substitute(query.Expr, values);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add($"{label}: {ex.Message}");
                continue;
            }

            problems.AddRange(Expect(label, expr, await prometheus.QueryAsync(expr, cancellationToken),
                MayBeEmpty.GetValueOrDefault($"panel:{query.Panel}:{query.RefId}")));
        }

        var variables = OpsFiles.Variables(dashboard);
        foreach (var (name, expected) in new[] { ("profile", new[] { ObservabilityWorkload.Acp, ObservabilityWorkload.Claude }),
            ("family", ObservabilityWorkload.Families) })
        {
            var promql = OpsFiles.Substitute(OpsFiles.LabelValuesAsPromQl(variables[name].GetProperty("definition").GetString()!), values);
            var result = await prometheus.QueryAsync(promql, cancellationToken);
            var found = result.Series.Select(s => s.GetProperty("metric").TryGetProperty(name, out var v) ? v.GetString() : null)
                .ToHashSet();
            if (result.Error is not null || !expected.All(found.Contains))
            {
                var what = result.Error ?? $"values {string.Join(", ", found)}, expected at least {string.Join(", ", expected)}";
                problems.Add($"variable ${name} ({promql}): {what}");
            }
        }

        return problems;
    }

    private static IEnumerable<string> Expect(string label, string expr, PrometheusServer.QueryResult result, string? mayBeEmpty)
    {
        if (result.Error is not null)
        {
            yield return $"{label}: {result.Error}\n    {expr}";
        }
        else if (result.Series.Count == 0 && mayBeEmpty is null)
        {
            yield return $"{label}: no series, but the workload should have produced some\n    {expr}";
        }
    }

    private static string Samples(PrometheusServer.QueryResult result) => string.Join("; ", result.Series.Take(5).Select(s =>
        $"{s.GetProperty("metric")} = {s.GetProperty("value")[1].GetString()}"));

    /// <summary>The workers_* series Prometheus holds (for a failure message).</summary>
    private static async Task<string> ScrapedSeriesAsync(PrometheusServer prometheus, CancellationToken cancellationToken)
    {
        var result = await prometheus.QueryAsync("count by (__name__) ({__name__=~\"workers_.*\"})", cancellationToken);
        var text = new StringBuilder();
        foreach (var (name, count) in result.Series
            .Select(s => (s.GetProperty("metric").GetProperty("__name__").GetString(), s.GetProperty("value")[1].GetString()))
            .OrderBy(s => s.Item1, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {name}: {count} series\n");
        }

        return text.ToString();
    }
}
