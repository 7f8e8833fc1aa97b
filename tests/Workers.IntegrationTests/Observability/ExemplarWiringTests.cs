using System.Text.Json;
using Workers.IntegrationTests.Deployment;

namespace Workers.IntegrationTests.Observability;

/// <summary>What makes a slow bucket in Grafana link to its turn (<c>specs/tracing.md</c>), beyond the service: the pre-first-token
/// panels ask for exemplars of the raw histograms (a recorded series has none), the example Prometheus keeps them, and the example
/// Grafana data source turns <c>trace_id</c> and <c>turn_id</c> into links.</summary>
public sealed class ExemplarWiringTests
{
    [Theory]
    [InlineData("Time to first token", "workers_turn_time_to_first_token_seconds_bucket")]
    [InlineData("Spawn to first token", "workers_turn_spawn_to_first_token_seconds_bucket")]
    public void Dashboard_PreFirstTokenPanel_ShowsExemplarsOfTheRawHistogram(string titlePrefix, string buckets)
    {
        var panel = Assert.Single(OpsFiles.Panels(OpsFiles.LoadDashboard()),
            p => p.GetProperty("title").GetString()!.StartsWith(titlePrefix, StringComparison.Ordinal));

        var withExemplars = panel.GetProperty("targets").EnumerateArray()
            .Where(t => t.TryGetProperty("exemplar", out var e) && e.ValueKind == JsonValueKind.True).ToList();

        var target = Assert.Single(withExemplars);
        Assert.Contains(buckets, target.GetProperty("expr").GetString(), StringComparison.Ordinal);
        Assert.Contains("exemplar", panel.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ExamplePrometheus_KeepsExemplars_AndSaysWhichFlagItNeeds()
    {
        var config = YamlJson.Load(OpsFiles.ExampleConfig)!;

        Assert.True(config["storage"]!["exemplars"]!["max_exemplars"]!.GetValue<long>() > 0);
        Assert.Contains("--enable-feature=exemplar-storage", File.ReadAllText(OpsFiles.ExampleConfig), StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleGrafanaDataSource_LinksTheTraceAndTheTurn()
    {
        var path = Path.Combine(OpsFiles.RepoRoot, "ops", "grafana", "datasource.example.yml");
        var source = YamlJson.Load(path)!["datasources"]![0]!;

        var destinations = source["jsonData"]!["exemplarTraceIdDestinations"]!.AsArray();

        Assert.Equal("prometheus", source["type"]!.GetValue<string>());
        Assert.Contains(destinations, d => d!["name"]!.GetValue<string>() == "trace_id" && d["datasourceUid"] is not null);
        // $$ is Grafana's escape of a literal $ in provisioning files: a single one would be expanded from its environment.
        Assert.Contains(destinations, d => d!["name"]!.GetValue<string>() == "turn_id"
            && d["url"]!.GetValue<string>().EndsWith("/v1/turns/$${__value.raw}", StringComparison.Ordinal));
    }
}
