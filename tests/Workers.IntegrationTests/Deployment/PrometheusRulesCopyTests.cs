namespace Workers.IntegrationTests.Deployment;

/// <summary>The chart's PrometheusRule reads copies of ops/prometheus/*-rules.yml under helm/workers/files/prometheus
/// (Helm can only read files inside the chart). The copy step is documented in docs/operations.md:
/// <c>cp ops/prometheus/recording-rules.yml ops/prometheus/alert-rules.yml helm/workers/files/prometheus/</c>.</summary>
public sealed class PrometheusRulesCopyTests
{
    public static TheoryData<string> RuleFiles => [.. DeploymentFiles.PrometheusRuleFiles];

    [Theory]
    [MemberData(nameof(RuleFiles))]
    public void TheChartsCopy_IsByteForByteTheOpsFile(string name)
    {
        var source = Path.Combine(DeploymentFiles.OpsPrometheus, name);
        var copy = Path.Combine(DeploymentFiles.ChartPrometheusFiles, name);
        const string Fix = "Copy again: cp ops/prometheus/recording-rules.yml ops/prometheus/alert-rules.yml helm/workers/files/prometheus/";

        Assert.True(File.Exists(source), $"ops/prometheus/{name} does not exist; the chart's PrometheusRule expects it.");
        Assert.True(File.Exists(copy), $"helm/workers/files/prometheus/{name} is missing. {Fix}");
        Assert.True(File.ReadAllBytes(source).AsSpan().SequenceEqual(File.ReadAllBytes(copy)),
            $"helm/workers/files/prometheus/{name} differs from ops/prometheus/{name}. {Fix}");
    }

    [Fact]
    public void TheChartCarries_NoRuleFileThatOpsDoesNotHave()
    {
        var extra = Directory.EnumerateFiles(DeploymentFiles.ChartPrometheusFiles)
            .Select(Path.GetFileName)
            .Where(name => !File.Exists(Path.Combine(DeploymentFiles.OpsPrometheus, name!)))
            .ToList();

        Assert.True(extra.Count == 0, "helm/workers/files/prometheus has files ops/prometheus does not: " + string.Join(", ", extra));
    }
}
