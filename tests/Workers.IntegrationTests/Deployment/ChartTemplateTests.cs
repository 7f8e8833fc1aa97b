using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workers.IntegrationTests.Deployment;

/// <summary>What can be checked of the chart's Go templates without Helm (nothing here renders them): every
/// <c>.Values.x.y</c> they read exists in values.yaml, every named template they include is defined, their blocks
/// close, and the few rules the issue sets are written into them. One file over the usual size: each check reads the same
/// parsed templates, and the template scanner is its partial.</summary>
public sealed partial class ChartTemplateTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Sources = new(() =>
        Directory.EnumerateFiles(DeploymentFiles.Templates, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(DeploymentFiles.Chart, f), f => WithoutComments(File.ReadAllText(f))));

    [Fact]
    public void EveryValuesPathTheTemplatesRead_ExistsInValuesYaml()
    {
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml);
        var references = References().ToList();
        Assert.True(references.Select(r => r.Path).Distinct().Count() >= 40,
            $"Only {references.Count} .Values references found: the extraction is broken.");

        var missing = references
            .Where(r => !YamlJson.TryGet(values, r.Path.Split('.'), out _))
            .Select(r => $"{r.File}: .Values.{r.Path}")
            .Distinct()
            .ToList();

        Assert.True(missing.Count == 0, "Templates read values that values.yaml does not have:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void TheTemplates_ReadValuesOnlyByPath()
    {
        // `index .Values "a"` or `get .Values "a"` would escape the path check above.
        var dynamic = Sources.Value.Where(s => DynamicValuesAccess().IsMatch(s.Value)).Select(s => s.Key).ToList();
        Assert.True(dynamic.Count == 0, "Templates reading .Values dynamically: " + string.Join(", ", dynamic));
    }

    [Fact]
    public void EveryIncludedTemplate_IsDefined_AndEveryIncludedFileExists()
    {
        var all = string.Join('\n', Sources.Value.Values);
        var defined = Define().Matches(all).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var used = Include().Matches(all).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(used.Except(defined));

        var files = TemplateFile().Matches(all).Select(m => m.Groups["file"].Value.TrimStart('/')).ToList();
        Assert.All(files, f => Assert.True(File.Exists(Path.Combine(DeploymentFiles.Templates, f)), $"templates/{f} does not exist."));
    }

    [Fact]
    public void EveryBlock_IsClosed()
    {
        foreach (var (file, source) in Sources.Value)
        {
            var depth = 0;
            foreach (Match action in Action().Matches(source))
            {
                var body = action.Groups["body"].Value.Trim();
                if (BlockOpener().IsMatch(body))
                {
                    depth++;
                }
                else if (body == "end")
                {
                    depth--;
                    Assert.True(depth >= 0, $"{file}: an {{{{ end }}}} without a block at offset {action.Index}.");
                }
            }

            Assert.True(depth == 0, $"{file}: {depth} block(s) not closed.");
        }
    }

    [Fact]
    public void TheChart_WritesTheRulesOfTheIssue()
    {
        var deployment = Sources.Value[Path.Combine("templates", "deployment.yaml")];
        var helpers = Sources.Value[Path.Combine("templates", "_helpers.tpl")];
        var pdb = Sources.Value[Path.Combine("templates", "poddisruptionbudget.yaml")];
        var rules = Sources.Value[Path.Combine("templates", "prometheusrule.yaml")];

        // One pod at a time on the SQLite file.
        Assert.Matches(@"strategy:\s*\n\s*type: Recreate", deployment);
        // Probes on the service's endpoints.
        Assert.Matches(@"livenessProbe:\s*\n\s*httpGet:\s*\n\s*path: /healthz", deployment);
        Assert.Matches(@"readinessProbe:\s*\n\s*httpGet:\s*\n\s*path: /readyz", deployment);
        // The startup probe waits for the warm pools (/startupz), or only for /readyz.
        Assert.Matches(
            @"startupProbe:\s*\n\s*httpGet:\s*\n\s*\{\{- if \.Values\.probes\.startup\.waitForWarmPools \}\}\s*\n\s*path: /startupz\s*\n\s*\{\{- else \}\}\s*\n\s*path: /readyz\s*\n\s*\{\{- end \}\}\s*\n\s*port: http",
            deployment);
        // The grace period is derived from the drain deadline, which is also what the service is configured with.
        Assert.Contains("terminationGracePeriodSeconds: {{ include \"workers.terminationGracePeriodSeconds\" . }}", deployment, StringComparison.Ordinal);
        Assert.Contains(".Values.shutdown.drainDeadlineSeconds", helpers, StringComparison.Ordinal);
        Assert.Contains("\"drainDeadline\"", helpers, StringComparison.Ordinal);
        // The ConfigMap is a directory mount (a subPath mount is never updated) that WORKERS_CONFIG_DIR names, watched by
        // polling; checksum/config leaves out the pool settings the service reloads, but not their cron schedules nor the
        // warm sets' directories, which are set up at start.
        Assert.Matches(@"- name: config\s*\n\s*mountPath: \{\{ \.Values\.configDirectory\.mountPath \}\}\s*\n\s*readOnly: true", deployment);
        Assert.DoesNotMatch(@"(?m)^\s*subPath:", deployment);
        Assert.Matches(@"- name: WORKERS_CONFIG_DIR\s*\n\s*value: \{\{ \.Values\.configDirectory\.mountPath \| quote \}\}", deployment);
        Assert.Matches(
            @"- name: DOTNET_USE_POLLING_FILE_WATCHER\s*\n\s*value: \{\{ \.Values\.configDirectory\.usePollingFileWatcher \| quote \}\}",
            deployment);
        Assert.Contains("checksum/config: {{ include \"workers.restartConfig\" . | sha256sum }}", deployment, StringComparison.Ordinal);
        Assert.Contains("(pick $profile.pool \"schedules\" \"workingDirectories\")", helpers, StringComparison.Ordinal);
        Assert.Contains("appsettings.json: |", Sources.Value[Path.Combine("templates", "configmap.yaml")], StringComparison.Ordinal);
        // Many replicas and PostgreSQL are refused until the service has a shared store.
        Assert.Contains("include \"workers.validate\"", deployment, StringComparison.Ordinal);
        Assert.Matches(@"if gt \(int \.Values\.replicaCount\) 1 -\}\}\s*\n\{\{- fail", helpers);
        Assert.Matches(@"if eq \.Values\.store\.kind ""postgres"" -\}\}\s*\n\{\{- fail", helpers);
        // No PodDisruptionBudget for one replica (it would block node drains).
        Assert.Contains("if gt (int .Values.replicaCount) 1", pdb, StringComparison.Ordinal);
        // The PrometheusRule carries the copies of ops/prometheus.
        Assert.All(DeploymentFiles.PrometheusRuleFiles, f => Assert.Contains($"files/prometheus/{f}", rules, StringComparison.Ordinal));
    }

    [Fact]
    public void TheShippedProfilesTheChartKnows_AreTheOnesTheImageShips()
    {
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml);
        Assert.True(YamlJson.TryGet(values, ["imageProfiles", "names"], out var names));
        var chart = names!.AsArray().Select(n => n!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();

        using var settings = JsonDocument.Parse(File.ReadAllText(DeploymentFiles.HostAppSettings));
        var shipped = settings.RootElement.GetProperty("Workers").GetProperty("Profiles").EnumerateObject().Select(p => p.Name)
            .Order(StringComparer.Ordinal).ToList();

        Assert.Equal(shipped, chart);
    }

    [Fact]
    public void TheDefaultMemory_IsTheDocumentedFormula()
    {
        // values.yaml documents the formula and its result for the defaults; recompute it from the values.
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml)!;
        var memory = values["resources"]!["memory"]!;
        var profiles = values["profiles"]!.AsObject();
        long agents = 0;
        foreach (var (_, profile) in profiles)
        {
            if (profile!["enabled"]?.GetValue<bool>() == false)
            {
                // A disabled profile has no pool.
                continue;
            }

            var maxProcesses = profile!["pool"]?["maxProcesses"]?.GetValue<long>() ?? 8;
            var perProcess = profile["memoryPerProcessMiB"]?.GetValue<long>() ?? memory["defaultPerProcessMiB"]!.GetValue<long>();
            agents += maxProcesses * perProcess;
        }

        var image = values["imageProfiles"]!;
        var unconfigured = image["names"]!.AsArray().Count(n => profiles[n!.GetValue<string>()] is null);
        agents += unconfigured * image["maxProcesses"]!.GetValue<long>() * image["memoryPerProcessMiB"]!.GetValue<long>();
        var total = memory["serviceMiB"]!.GetValue<long>() + (agents * (100 + memory["headroomPercent"]!.GetValue<long>()) / 100);

        Assert.Contains($"= {total} MiB.", File.ReadAllText(DeploymentFiles.ValuesYaml), StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultGracePeriod_IsTheDocumentedFormula_OnTheServicesShutdownTimeout()
    {
        // The chart's constants are the service's: the default Timeouts:GracefulStop (the image's profiles set none) and
        // the seconds its host adds to DrainDeadline + 4 × the longest GracefulStop.
        var helpers = Sources.Value[Path.Combine("templates", "_helpers.tpl")];
        var gracefulStop = ConstantOf(helpers, "workers.serviceGracefulStopSeconds");
        var extra = ConstantOf(helpers, "workers.serviceShutdownExtraSeconds");
        Assert.Equal(TimeSpan.FromSeconds(gracefulStop), new Workers.Profiles.ProfileTimeouts().GracefulStop);
        Assert.DoesNotContain("GracefulStop", File.ReadAllText(DeploymentFiles.HostAppSettings), StringComparison.OrdinalIgnoreCase);
        var host = File.ReadAllText(Path.Combine(DeploymentFiles.RepoRoot, "src", "Workers", "Hosting", "WorkersWebApplication.cs"));
        Assert.Contains("Timeouts.GracefulStop * 4", host, StringComparison.Ordinal);
        Assert.Contains($"ShutdownTimeout = maintenance.DrainDeadline + longestStop + TimeSpan.FromSeconds({extra})", host, StringComparison.Ordinal);
        Assert.Contains("mul 4 (int (include \"workers.longestGracefulStopSeconds\" .))", helpers, StringComparison.Ordinal);

        // values.yaml documents the result for the defaults; recompute it.
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml)!;
        var longest = values["profiles"]!.AsObject()
            .Select(p => p.Value?["timeouts"]?["gracefulStop"]?.GetValue<string>())
            .Where(t => t is not null)
            .Select(t => (long)Math.Ceiling(TimeSpan.Parse(t!, CultureInfo.InvariantCulture).TotalSeconds))
            .Append(gracefulStop)
            .Max();
        var shutdown = values["shutdown"]!;
        var total = shutdown["drainDeadlineSeconds"]!.GetValue<long>() + (4 * longest) + extra + shutdown["marginSeconds"]!.GetValue<long>();
        Assert.Contains($"= {total} s.", File.ReadAllText(DeploymentFiles.ValuesYaml), StringComparison.Ordinal);
    }

    private sealed record Reference(string File, string Path);

    private static IEnumerable<Reference> References()
    {
        foreach (var (file, source) in Sources.Value)
        {
            // $x := .Values.a.b makes $x.c mean .Values.a.b.c.
            var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match action in Action().Matches(source))
            {
                var body = action.Groups["body"].Value;
                if (Alias().Match(body) is { Success: true } alias)
                {
                    aliases[alias.Groups["variable"].Value] = alias.Groups["path"].Value;
                }

                foreach (Match reference in ValuesPath().Matches(body))
                {
                    yield return new Reference(file, reference.Groups["path"].Value);
                }

                foreach (Match use in VariablePath().Matches(body))
                {
                    if (aliases.TryGetValue(use.Groups["variable"].Value, out var prefix))
                    {
                        yield return new Reference(file, prefix + "." + use.Groups["path"].Value);
                    }
                }
            }
        }
    }

    private static long ConstantOf(string source, string name)
    {
        var constant = ConstantDefine().Matches(source).FirstOrDefault(m => m.Groups["name"].Value == name);
        Assert.True(constant is not null, $"templates/_helpers.tpl defines no number {name}.");
        return long.Parse(constant.Groups["value"].Value, CultureInfo.InvariantCulture);
    }

    private static string WithoutComments(string source) => Comment().Replace(source, "");

    [GeneratedRegex(@"\{\{-?\s*/\*.*?\*/\s*-?\}\}", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"\{\{-?(?<body>.*?)-?\}\}", RegexOptions.Singleline)]
    private static partial Regex Action();

    [GeneratedRegex(@"(?<![\w\])])\$?\.Values\.(?<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")]
    private static partial Regex ValuesPath();

    [GeneratedRegex(@"^\s*(?<variable>\$[A-Za-z_]\w*)\s*:?=\s*\$?\.Values\.(?<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*$")]
    private static partial Regex Alias();

    [GeneratedRegex(@"(?<variable>\$[A-Za-z_]\w*)\.(?<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")]
    private static partial Regex VariablePath();

    [GeneratedRegex(@"\b(?:index|get)\s+\$?\.Values\b")]
    private static partial Regex DynamicValuesAccess();

    [GeneratedRegex(@"\bdefine\s+""(?<name>[^""]+)""")]
    private static partial Regex Define();

    [GeneratedRegex(@"\b(?:include|template)\s+""(?<name>[^""]+)""")]
    private static partial Regex Include();

    [GeneratedRegex(@"print\s+\$\.Template\.BasePath\s+""(?<file>[^""]+)""")]
    private static partial Regex TemplateFile();

    [GeneratedRegex(@"^(?:if|range|with|define|block)\b")]
    private static partial Regex BlockOpener();

    /// <summary>A named template that is a number: <c>{{- define "name" -}}15{{- end -}}</c>.</summary>
    [GeneratedRegex(@"\{\{- define ""(?<name>[^""]+)"" -\}\}(?<value>[0-9]+)\{\{- end -\}\}")]
    private static partial Regex ConstantDefine();
}
