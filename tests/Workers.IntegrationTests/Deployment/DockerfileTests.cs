using System.Text.RegularExpressions;

namespace Workers.IntegrationTests.Deployment;

/// <summary>The image's contract as the Dockerfile states it (no container engine here: the image itself is not
/// built), and its agreement with the chart.</summary>
public sealed partial class DockerfileTests
{
    private static readonly DockerfileModel Dockerfile = DockerfileModel.Load(DeploymentFiles.Dockerfile);

    [Fact]
    public void TheEntrypoint_IsTheWorkersExecutable_InExecForm_ServingByDefault()
    {
        var entrypoint = DockerfileModel.ExecForm(Dockerfile.Final.Last("ENTRYPOINT"));
        var command = DockerfileModel.ExecForm(Dockerfile.Final.Last("CMD"));

        // Exec form (a JSON array): no shell between the container runtime and .NET, so SIGTERM reaches the service.
        Assert.NotNull(entrypoint);
        Assert.NotNull(command);
        Assert.Equal(["/app/workers"], entrypoint);
        Assert.Equal(["serve"], command);
        Assert.Equal("SIGTERM", Dockerfile.Final.Last("STOPSIGNAL")?.Arguments);
    }

    [Fact]
    public void TheBuildStage_PublishesTheHostOnly_WithoutTests()
    {
        var build = Dockerfile.Stage("build");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", build.Image, StringComparison.Ordinal);
        var publish = ImageEntrypointTests.PublishArguments(Dockerfile);
        Assert.Equal("src/Workers.Host", publish[0]);
        Assert.Contains("Release", publish);
        Assert.DoesNotContain(build.Instructions, i => i.Arguments.Contains("tests", StringComparison.Ordinal));
        Assert.Contains(Dockerfile.Final.All("COPY"), i => i.Arguments == "--from=build /app /app");
        Assert.Contains("tests/", File.ReadAllLines(Path.Combine(DeploymentFiles.RepoRoot, ".dockerignore")));
    }

    [Fact]
    public void TheRuntime_IsTheAspNetImage_WithPinnedNode_AndPinnedAgentClis()
    {
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", Dockerfile.Final.Image, StringComparison.Ordinal);
        Assert.StartsWith("node:", Dockerfile.ArgDefault(null, "NODE_IMAGE"), StringComparison.Ordinal);
        Assert.Contains(Dockerfile.Final.All("COPY"), i => i.Arguments.StartsWith("--from=node /usr/local/bin/node ", StringComparison.Ordinal));

        var clis = Dockerfile.ArgDefault(Dockerfile.Final, "AGENT_CLIS")!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(clis);
        Assert.All(clis, spec => Assert.Matches(PinnedNpmSpec(), spec));
        Assert.Contains(Dockerfile.Final.All("RUN"), i => i.Arguments.Contains("npm install --global --prefix /opt/agents", StringComparison.Ordinal));
        Assert.StartsWith("/opt/agents/bin:", DockerfileModel.Environment(Dockerfile.Final, _ => "/usr/bin")["PATH"], StringComparison.Ordinal);
    }

    [Fact]
    public void TheRuntime_RunsAsNonRoot_WithData_Port_AndHealthcheck()
    {
        var uid = Dockerfile.ArgDefault(Dockerfile.Final, "WORKERS_UID")!;
        var user = DockerfileModel.ShellWords(Dockerfile.Final.Last("USER")!.Arguments, n => n == "WORKERS_UID" ? uid : null).Single();
        Assert.Equal($"{uid}:{uid}", user);
        Assert.NotEqual("0", uid);

        var environment = DockerfileModel.Environment(Dockerfile.Final, _ => null);
        Assert.Equal("/data", environment["Workers__DataDirectory"]);
        Assert.Contains("/data", Dockerfile.Final.Last("VOLUME")!.Arguments, StringComparison.Ordinal);
        var urls = new Uri(environment["Workers__Service__Urls"]);
        Assert.Equal("0.0.0.0", urls.Host);
        Assert.Equal(urls.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Dockerfile.Final.Last("EXPOSE")!.Arguments);

        var healthcheck = Dockerfile.Final.Last("HEALTHCHECK")!.Arguments;
        Assert.Contains($"http://127.0.0.1:{urls.Port}/healthz", healthcheck, StringComparison.Ordinal);
    }

    [Fact]
    public void TheChart_AgreesWithTheImage_OnUserAndPort()
    {
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml)!;
        var environment = DockerfileModel.Environment(Dockerfile.Final, _ => null);
        var uid = long.Parse(Dockerfile.ArgDefault(Dockerfile.Final, "WORKERS_UID")!, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(uid, values["podSecurityContext"]!["runAsUser"]!.GetValue<long>());
        Assert.Equal(uid, values["podSecurityContext"]!["runAsGroup"]!.GetValue<long>());
        Assert.Equal(new Uri(environment["Workers__Service__Urls"]).Port, values["containerPort"]!.GetValue<long>());
        Assert.True(values["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
        Assert.Equal(1, values["replicaCount"]!.GetValue<long>());
    }

    [Fact]
    public void NoRegistryHost_IsNamed_ExceptTheBaseImages()
    {
        // Base images are the only registry references the repository may carry (mcr.microsoft.com/..., node:...).
        var files = new[] { DeploymentFiles.Dockerfile, Path.Combine(DeploymentFiles.RepoRoot, ".dockerignore") }
            .Concat(Directory.EnumerateFiles(DeploymentFiles.Chart, "*", SearchOption.AllDirectories)
                .Where(f => !f.StartsWith(DeploymentFiles.ChartPrometheusFiles, StringComparison.Ordinal)));
        foreach (var file in files)
        {
            foreach (Match host in RegistryHost().Matches(File.ReadAllText(file)))
            {
                Assert.True(host.Value == "mcr.microsoft.com", $"{Path.GetRelativePath(DeploymentFiles.RepoRoot, file)} names {host.Value}.");
            }
        }
    }

    [GeneratedRegex(@"^(@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*@[0-9]+\.[0-9]+\.[0-9]+([-+][\w.-]+)?$")]
    private static partial Regex PinnedNpmSpec();

    [GeneratedRegex(@"\b(?:[a-z0-9-]+\.)*(?:docker\.io|ghcr\.io|quay\.io|gcr\.io|pkg\.dev|azurecr\.io|amazonaws\.com|npmjs\.(?:org|com)|nuget\.org|mcr\.microsoft\.com|registry\.[a-z0-9.-]+)\b")]
    private static partial Regex RegistryHost();
}
