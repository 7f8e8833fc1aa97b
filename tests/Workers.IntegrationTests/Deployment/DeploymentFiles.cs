namespace Workers.IntegrationTests.Deployment;

/// <summary>The deployment artefacts of the repository (Dockerfile, the Helm chart, ops/), found from the test's base
/// directory by walking up to the folder that holds <c>Workers.sln</c>.</summary>
internal static class DeploymentFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Dockerfile => Path.Combine(RepoRoot, "Dockerfile");

    public static string HelmDirectory => Path.Combine(RepoRoot, "helm");

    public static string Chart => Path.Combine(HelmDirectory, "workers");

    public static string ChartYaml => Path.Combine(Chart, "Chart.yaml");

    public static string ValuesYaml => Path.Combine(Chart, "values.yaml");

    public static string ValuesSchema => Path.Combine(Chart, "values.schema.json");

    public static string Templates => Path.Combine(Chart, "templates");

    public static string ChartPrometheusFiles => Path.Combine(Chart, "files", "prometheus");

    public static string YamlLintConfig => Path.Combine(HelmDirectory, ".yamllint.yaml");

    public static string Ops => Path.Combine(RepoRoot, "ops");

    public static string OpsPrometheus => Path.Combine(Ops, "prometheus");

    public static string HostAppSettings => Path.Combine(RepoRoot, "src", "Workers.Host", "appsettings.json");

    /// <summary>The rule files the chart's PrometheusRule carries, as named in ops/prometheus.</summary>
    public static IReadOnlyList<string> PrometheusRuleFiles { get; } = ["recording-rules.yml", "alert-rules.yml"];

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"No Workers.sln above {AppContext.BaseDirectory}.");
    }
}
