using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Prometheus;
using Workers.Metrics;

namespace Workers.IntegrationTests.Observability;

/// <summary>The ops/ artefacts' shape, without a Prometheus: the dashboard imports as is (schema, variables, data source, a
/// description on every panel), every alert has a runbook section, every metric is documented in specs/metrics.md.</summary>
public sealed partial class OpsArtifactsTests
{
    private static readonly JsonElement Dashboard = OpsFiles.LoadDashboard();

    [Fact]
    public void Dashboard_HasAModernSchemaAndTheDataSourceProfileAndFamilyVariables()
    {
        Assert.True(Dashboard.GetProperty("schemaVersion").GetInt32() >= 38);
        Assert.False(string.IsNullOrWhiteSpace(Dashboard.GetProperty("uid").GetString()));
        Assert.Equal(JsonValueKind.Null, Dashboard.GetProperty("id").ValueKind);
        var variables = OpsFiles.Variables(Dashboard);

        var datasource = variables["datasource"];
        Assert.Equal(("datasource", "prometheus"),
            (datasource.GetProperty("type").GetString(), datasource.GetProperty("query").GetString()));
        foreach (var (name, definition) in new[]
        {
            ("profile", "label_values(workers_turn_spawn_to_first_token_seconds_count, profile)"),
            ("family", "label_values(workers_turn_spawn_to_first_token_seconds_count{profile=~\"$profile\"}, family)"),
        })
        {
            var variable = variables[name];
            Assert.Equal("query", variable.GetProperty("type").GetString());
            Assert.Equal(definition, variable.GetProperty("definition").GetString());
            Assert.Equal(definition, variable.GetProperty("query").GetString());
            Assert.True(variable.GetProperty("multi").GetBoolean(), $"${name} is multi-value");
            Assert.True(variable.GetProperty("includeAll").GetBoolean(), $"${name} includes All");
            Assert.Equal("${datasource}", variable.GetProperty("datasource").GetProperty("uid").GetString());
        }
    }

    [Fact]
    public void Dashboard_EveryPanelSaysHowToReadItAndQueriesTheChosenDataSource()
    {
        var panels = OpsFiles.Panels(Dashboard).Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(panels.Count >= 20, $"{panels.Count} panels");
        var ids = OpsFiles.Panels(Dashboard).Select(p => p.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            Assert.True(panel.TryGetProperty("description", out var description) && description.GetString()!.Length >= 80,
                $"panel \"{title}\" needs a description saying how to read it");
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.Equal("${datasource}", t.GetProperty("datasource").GetProperty("uid").GetString()));
            Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
        }
    }

    [Fact]
    public void Dashboard_QueriesUseOnlyDefinedVariables_AndTheRecordingRulesTheyName()
    {
        var defined = OpsFiles.Variables(Dashboard).Keys.Concat(OpsFiles.IntervalVariables.Keys).ToHashSet(StringComparer.Ordinal);
        var recorded = RecordPattern().Matches(File.ReadAllText(OpsFiles.RecordingRules)).Select(m => m.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);
        foreach (var query in OpsFiles.PanelQueries(Dashboard))
        {
            Assert.All(OpsFiles.VariablesIn(query.Expr),
                v => Assert.True(defined.Contains(v), $"panel \"{query.Panel}\" uses undefined ${v}"));
            foreach (Match rule in RuleNamePattern().Matches(query.Expr))
            {
                Assert.True(recorded.Contains(rule.Value),
                    $"panel \"{query.Panel}\" reads {rule.Value}, which recording-rules.yml does not record");
            }
        }
    }

    [Fact]
    public void EveryAlert_HasSummaryDescriptionAndARunbookSection()
    {
        var rules = File.ReadAllText(OpsFiles.AlertRules);
        var alerts = AlertPattern().Matches(rules).Select(m => m.Groups[1].Value).ToList();
        var runbookUrls = RunbookUrlPattern().Matches(rules).Select(m => m.Groups[1].Value).ToList();
        var anchors = HeadingPattern().Matches(File.ReadAllText(OpsFiles.Runbook)).Select(m => GitHubAnchor(m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(alerts.Count >= 8, $"{alerts.Count} alerts");
        Assert.Equal(alerts.Count, runbookUrls.Count);
        Assert.Equal(alerts.Count, SummaryPattern().Count(rules));
        Assert.Equal(alerts.Count, DescriptionPattern().Count(rules));
        Assert.Equal(alerts.Select(a => a.ToLowerInvariant()), runbookUrls);
        Assert.All(runbookUrls, anchor => Assert.True(anchors.Contains(anchor), $"ops/runbook.md has no section #{anchor}"));
    }

    [Fact]
    public void EveryMetricOfTheService_IsDocumentedInSpecsMetrics()
    {
        var spec = File.ReadAllText(Path.Combine(OpsFiles.RepoRoot, "specs", "metrics.md"));
        var metrics = new WorkerMetrics(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
        var names = typeof(WorkerMetrics).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetValue(metrics))
            .OfType<Collector>()
            .Select(c => c.Name)
            .ToList();

        Assert.True(names.Count >= 25, $"{names.Count} metrics");
        Assert.All(names, name =>
            Assert.True(spec.Contains($"`{name}`", StringComparison.Ordinal), $"specs/metrics.md does not document {name}"));
    }

    /// <summary>GitHub's heading anchor: lower case, spaces to dashes, punctuation other than dashes and underscores dropped.</summary>
    private static string GitHubAnchor(string heading) =>
        new(heading.Trim().ToLowerInvariant().Replace(' ', '-').Where(c => char.IsLetterOrDigit(c) || c is '-' or '_').ToArray());

    [GeneratedRegex(@"^\s*- record:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex RecordPattern();

    [GeneratedRegex(@"workers:[a-z0-9_]+:[a-z0-9_]+")]
    private static partial Regex RuleNamePattern();

    [GeneratedRegex(@"^\s*- alert:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AlertPattern();

    [GeneratedRegex(@"^\s*runbook_url:\s*ops/runbook\.md#(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex RunbookUrlPattern();

    [GeneratedRegex(@"^\s*summary:\s*\S", RegexOptions.Multiline)]
    private static partial Regex SummaryPattern();

    [GeneratedRegex(@"^\s*description:\s*\S", RegexOptions.Multiline)]
    private static partial Regex DescriptionPattern();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex HeadingPattern();
}
