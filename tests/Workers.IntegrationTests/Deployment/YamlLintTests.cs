namespace Workers.IntegrationTests.Deployment;

/// <summary>yamllint (the Debian package, installed by .ci/prepare.sh) on the chart's plain YAML and on ops/, with
/// helm/.yamllint.yaml. Chart templates are Go templates and are not linted as YAML.</summary>
public sealed class YamlLintTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [Fact(Timeout = 180_000)]
    public async Task ChartYaml_ValuesYaml_TheChartsRuleCopies_AndOps_PassYamllint()
    {
        RequireYamllint();
        List<string> targets = ["helm/workers/Chart.yaml", "helm/workers/values.yaml", "helm/workers/files", "helm/.yamllint.yaml"];
        if (Directory.Exists(DeploymentFiles.Ops))
        {
            targets.Add("ops");
        }

        var result = await ToolRun.RunAsync("yamllint", ["-f", "parsable", "-c", DeploymentFiles.YamlLintConfig, .. targets],
            DeploymentFiles.RepoRoot, Limit, TestContext.Current.CancellationToken);

        Assert.True(result.ExitCode == 0, $"yamllint found errors in {string.Join(", ", targets)}:\n{result}");
    }

    /// <summary>The lint must be able to fail: a duplicate key and a yes/no boolean (Helm would take both silently, the
    /// first by dropping a value) are errors under the same configuration.</summary>
    [Fact(Timeout = 180_000)]
    public async Task TheConfiguration_RejectsDuplicateKeys_AndYesNoBooleans()
    {
        RequireYamllint();
        var directory = Directory.CreateTempSubdirectory("workers-yamllint-");
        try
        {
            var duplicate = Path.Combine(directory.FullName, "duplicate.yaml");
            await File.WriteAllTextAsync(duplicate, "---\nimage:\n  tag: a\n  tag: b\n", TestContext.Current.CancellationToken);
            var truthy = Path.Combine(directory.FullName, "truthy.yaml");
            await File.WriteAllTextAsync(truthy, "---\nenabled: yes\n", TestContext.Current.CancellationToken);

            foreach (var (file, rule) in new[] { (duplicate, "key-duplicates"), (truthy, "truthy") })
            {
                var result = await ToolRun.RunAsync("yamllint", ["-f", "parsable", "-c", DeploymentFiles.YamlLintConfig, file],
                    DeploymentFiles.RepoRoot, Limit, TestContext.Current.CancellationToken);
                Assert.True(result.ExitCode != 0 && result.Output.Contains(rule, StringComparison.Ordinal),
                    $"yamllint should reject {Path.GetFileName(file)} ({rule}):\n{result}");
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void RequireYamllint() =>
        Assert.True(ToolRun.OnPath("yamllint"),
            "yamllint is not installed. It is the Debian package `yamllint`; .ci/prepare.sh installs it (apt-get install yamllint).");
}
