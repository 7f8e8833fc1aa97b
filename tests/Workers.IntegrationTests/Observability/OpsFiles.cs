using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workers.IntegrationTests.Observability;

/// <summary>The repository's <c>ops/</c> artefacts (Prometheus rules, their unit tests, the Grafana dashboard, the runbook), found
/// from the test's base directory by walking up to the folder that holds <c>Workers.sln</c>.</summary>
internal static partial class OpsFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string PrometheusDirectory => Path.Combine(RepoRoot, "ops", "prometheus");

    public static string RecordingRules => Path.Combine(PrometheusDirectory, "recording-rules.yml");

    public static string AlertRules => Path.Combine(PrometheusDirectory, "alert-rules.yml");

    public static string ExampleConfig => Path.Combine(PrometheusDirectory, "prometheus.example.yml");

    public static string RuleTestsDirectory => Path.Combine(PrometheusDirectory, "tests");

    public static string Dashboard => Path.Combine(RepoRoot, "ops", "grafana", "workers-dashboard.json");

    public static string Runbook => Path.Combine(RepoRoot, "ops", "runbook.md");

    /// <summary>Grafana's built-in interval variables, and what the tests put in their place.</summary>
    public static readonly IReadOnlyDictionary<string, string> IntervalVariables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["__rate_interval"] = "1m",
        ["__interval"] = "1m",
        ["__range"] = "1m",
    };

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No Workers.sln above {AppContext.BaseDirectory}.");
    }

    public static JsonElement LoadDashboard()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Dashboard));
        return document.RootElement.Clone();
    }

    /// <summary>Every panel, rows' nested panels included.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    public sealed record PanelQuery(string Panel, string RefId, string Expr);

    /// <summary>Every PromQL expression of the dashboard's panels.</summary>
    public static IReadOnlyList<PanelQuery> PanelQueries(JsonElement dashboard) =>
        [.. Panels(dashboard)
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => new PanelQuery(
                p.GetProperty("title").GetString()!,
                t.TryGetProperty("refId", out var refId) ? refId.GetString()! : "?",
                t.GetProperty("expr").GetString()!)))];

    /// <summary>The template variables the dashboard defines, by name.</summary>
    public static IReadOnlyDictionary<string, JsonElement> Variables(JsonElement dashboard) =>
        dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v, StringComparer.Ordinal);

    /// <summary>The names of the variables an expression uses (<c>$x</c>, <c>${x}</c>, <c>${x:format}</c>).</summary>
    public static IEnumerable<string> VariablesIn(string expr) => VariablePattern().Matches(expr).Select(m => m.Groups["name"].Value);

    /// <summary>The expression as Grafana would send it, with <paramref name="values"/> for the dashboard's variables and
    /// <see cref="IntervalVariables"/> for the built-in ones; an unknown variable is an error.</summary>
    public static string Substitute(string expr, IReadOnlyDictionary<string, string> values) =>
        VariablePattern().Replace(expr, m =>
        {
            var name = m.Groups["name"].Value;
            return values.TryGetValue(name, out var value) ? value
                : IntervalVariables.TryGetValue(name, out var interval) ? interval
                : throw new InvalidOperationException($"The expression uses ${name}, which the dashboard does not define: {expr}");
        });

    /// <summary>A query variable's <c>label_values(metric, label)</c> as PromQL: the label's values are the series of
    /// <c>group by (label) (metric)</c>.</summary>
    public static string LabelValuesAsPromQl(string definition)
    {
        var match = LabelValuesPattern().Match(definition);
        if (!match.Success)
        {
            throw new InvalidOperationException($"Not a label_values(metric, label) query: {definition}");
        }

        return $"group by ({match.Groups["label"].Value}) ({match.Groups["selector"].Value})";
    }

    [GeneratedRegex(@"\$(?:\{(?<name>\w+)(?::\w+)?\}|(?<name>\w+))")]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"^\s*label_values\(\s*(?<selector>.+)\s*,\s*(?<label>\w+)\s*\)\s*$")]
    private static partial Regex LabelValuesPattern();
}
