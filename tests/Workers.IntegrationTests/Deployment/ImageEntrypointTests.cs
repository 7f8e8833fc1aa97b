using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Deployment;

/// <summary>The image without a container engine: the build stage's <c>dotnet publish</c> into a temporary directory,
/// then the image's ENTRYPOINT and CMD from that directory with the environment the Dockerfile's ENV lines set (read
/// from the Dockerfile, so they cannot drift), a temporary data directory instead of the /data volume and a free port.
/// The service must answer /healthz and /readyz, warm its pools, and on SIGTERM (what a container runtime sends the
/// entrypoint) exit 0 leaving no process behind: not itself, not its watchdog, not one agent.</summary>
public sealed partial class ImageEntrypointTests
{
    /// <summary>The build stage's publish command, after <c>dotnet publish</c>.</summary>
    internal static IReadOnlyList<string> PublishArguments(DockerfileModel dockerfile)
    {
        foreach (var run in dockerfile.Stage("build").All("RUN"))
        {
            var words = DockerfileModel.ShellWords(run.Arguments, _ => null);
            for (var i = 0; i + 1 < words.Count; i++)
            {
                if (words[i] == "dotnet" && words[i + 1] == "publish")
                {
                    return [.. words.Skip(i + 2).TakeWhile(w => w is not ("&&" or ";" or "||"))];
                }
            }
        }

        throw new InvalidOperationException("The Dockerfile's build stage runs no `dotnet publish`.");
    }

    [Fact(Timeout = 600_000)]
    public async Task ThePublishedEntrypoint_WithTheImagesEnvironment_AnswersProbes_AndStopsCleanlyOnSigterm()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var dockerfile = DockerfileModel.Load(DeploymentFiles.Dockerfile);
        var work = Directory.CreateTempSubdirectory("workers-image-");
        Process? service = null;
        var output = new StringBuilder();
        var marker = Guid.NewGuid().ToString("N");
        try
        {
            // 1. The build stage's publish, its output directory (/app in the image) replaced by a temporary one. Its own
            //    artifacts path keeps it off the work tree's bin/ and obj/, which other builds and tests use.
            var publish = PublishArguments(dockerfile).ToList();
            var outputOption = publish.FindIndex(a => a is "-o" or "--output");
            Assert.True(outputOption >= 0 && outputOption + 1 < publish.Count, "The Dockerfile's dotnet publish names no -o directory.");
            var imageApp = publish[outputOption + 1].TrimEnd('/');
            var app = Path.Combine(work.FullName, "app");
            publish[outputOption + 1] = app;
            var published = await ToolRun.RunAsync("dotnet",
                ["publish", .. publish, "--artifacts-path", Path.Combine(work.FullName, "artifacts"), "--disable-build-servers", "-nologo"],
                DeploymentFiles.RepoRoot, TimeSpan.FromMinutes(8), cancellationToken);
            Assert.True(published.ExitCode == 0, $"dotnet publish {string.Join(' ', publish)} failed:\n{published}");

            // 2. ENTRYPOINT + CMD, mapped from the image's /app to the publish directory.
            var entrypoint = DockerfileModel.ExecForm(dockerfile.Final.Last("ENTRYPOINT"))!;
            var command = DockerfileModel.ExecForm(dockerfile.Final.Last("CMD"))!;
            Assert.StartsWith(imageApp + "/", entrypoint[0], StringComparison.Ordinal);
            var executable = Path.Combine(app, entrypoint[0][(imageApp.Length + 1)..]);
            Assert.True(File.Exists(executable), $"The entrypoint {entrypoint[0]} is not in the publish output ({executable}).");

            // 3. The chart's ConfigMap file, as the Deployment mounts it into the image's /app: camelCase keys (as the chart
            //    renders them) over the image's appsettings.json, and the drain deadline in the chart's TimeSpan format.
            var mountPath = ConfigMountPath().Match(File.ReadAllText(Path.Combine(DeploymentFiles.Templates, "deployment.yaml")));
            Assert.True(mountPath.Success, "templates/deployment.yaml mounts no appsettings.<Environment>.json.");
            Assert.StartsWith(imageApp + "/", mountPath.Groups["path"].Value, StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(app, mountPath.Groups["path"].Value[(imageApp.Length + 1)..]), """
                {
                  "Workers": {
                    "maintenance": { "drainDeadline": "0.00:00:20" },
                    "profiles": { "sim-plain": { "pool": { "minReady": 2, "maxReady": 2, "maxProcesses": 3 } } }
                  }
                }
                """, cancellationToken);

            // 4. The image's environment: the Dockerfile's ENV over this machine's (which stands in for the base image's),
            //    without any Workers/ASP.NET settings of the test run itself; then the volume and the port.
            var data = Path.Combine(work.FullName, "data");
            Directory.CreateDirectory(data);
            var port = FreePort();
            var imageEnvironment = DockerfileModel.Environment(dockerfile.Final, Environment.GetEnvironmentVariable);
            Assert.Equal("/data", imageEnvironment["Workers__DataDirectory"]);
            var start = new ProcessStartInfo(executable)
            {
                WorkingDirectory = data,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var argument in entrypoint.Skip(1).Concat(command))
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var key in start.Environment.Keys.Where(IsServiceSetting).ToList())
            {
                start.Environment.Remove(key);
            }

            foreach (var (key, value) in imageEnvironment)
            {
                start.Environment[key] = value;
            }

            start.Environment["Workers__DataDirectory"] = data;
            start.Environment["Workers__Service__Urls"] = $"http://127.0.0.1:{port}";
            start.Environment[ProcessLeaks.MarkerVariable] = marker;
            // Every shipped profile carries the marker; those of real CLIs start cold, so that a machine which happens to
            // have one installed does not run it here (the image's real CLIs are not what this test is about).
            var profiles = ShippedProfiles(Path.Combine(app, "appsettings.json"));
            var simulated = profiles.Where(p => p.Value == "Workers.SimAgent").Select(p => p.Key).ToList();
            Assert.NotEmpty(simulated);
            foreach (var (profile, profileCommand) in profiles)
            {
                start.Environment[$"Workers__Profiles__{profile}__Env__{ProcessLeaks.MarkerVariable}"] = marker;
                if (profileCommand != "Workers.SimAgent")
                {
                    start.Environment[$"Workers__Profiles__{profile}__Pool__MinReady"] = "0";
                }
            }

            service = new Process { StartInfo = start };
            service.OutputDataReceived += (_, e) => Append(output, e.Data);
            service.ErrorDataReceived += (_, e) => Append(output, e.Data);
            service.Start();
            service.StandardInput.Close();
            service.BeginOutputReadLine();
            service.BeginErrorReadLine();

            // 5. The probes.
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var healthz = await WaitForOkAsync(client, "/healthz", service, output, cancellationToken);
            var readyz = await WaitForOkAsync(client, "/readyz", service, output, cancellationToken);
            Assert.Equal("alive", healthz.GetProperty("status").GetString());
            Assert.Equal("ready", readyz.GetProperty("status").GetString());
            Assert.True(File.Exists(Path.Combine(data, "workers.db")), "The store is not in the data directory the image's ENV names.");

            // 6. The pools warm up: one simulated agent per simulated profile (MinReady 1), two for sim-plain (the file
            //    above), each carrying the marker.
            await WaitForAgentsAsync(marker, simulated.Count + 1, service, output, cancellationToken);
            using (var pools = JsonDocument.Parse(await client.GetStringAsync("/v1/pools", cancellationToken)))
            {
                var plain = pools.RootElement.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == "sim-plain");
                Assert.Equal(2, plain.GetProperty("minReady").GetInt32());
                Assert.Equal(3, plain.GetProperty("maxProcesses").GetInt32());
            }

            // 7. The image's HEALTHCHECK and the chart's warm-pool startup probe, both node scripts, against this service.
            if (ToolRun.OnPath("node"))
            {
                var healthcheck = HealthcheckCommand(dockerfile, port);
                var healthy = await ToolRun.RunAsync(healthcheck[0], healthcheck.Skip(1), data, TimeSpan.FromSeconds(30), cancellationToken);
                Assert.True(healthy.ExitCode == 0, $"The Dockerfile's HEALTHCHECK fails against a healthy service:\n{healthy}");

                // Like kubelet, retry the probe: an agent process exists a little before its pool counts it ready.
                var script = WarmPoolsScript(port);
                var probed = Stopwatch.StartNew();
                ToolRun.Result warm;
                while ((warm = await ToolRun.RunAsync("node", ["-e", script], data, TimeSpan.FromSeconds(30), cancellationToken)).ExitCode != 0
                    && probed.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(500, cancellationToken);
                }

                Assert.True(warm.ExitCode == 0, $"The chart's warm-pool startup probe still fails after 30 s:\n{warm}");
            }
            else
            {
                TestContext.Current.SendDiagnosticMessage("node is not on PATH: the HEALTHCHECK and startup-probe scripts were not run.");
            }

            // 8. SIGTERM to the entrypoint only, as a container runtime stops a container.
            Assert.Equal(0, Kill(service.Id, SigTerm));
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                stop.CancelAfter(TimeSpan.FromSeconds(60));
                try
                {
                    await service.WaitForExitAsync(stop.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Assert.Fail($"workers serve did not exit within 60 s of SIGTERM:\n{Snapshot(output)}");
                }
            }

            service.WaitForExit();
            Assert.True(service.ExitCode == 0, $"workers serve exited with {service.ExitCode} after SIGTERM:\n{Snapshot(output)}");
            await ProcessLeaks.AssertNoneLeftAsync(marker, TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (service is not null)
            {
                if (!service.HasExited)
                {
                    service.Kill(entireProcessTree: true);
                    await service.WaitForExitAsync(CancellationToken.None);
                }

                service.Dispose();
            }

            foreach (var pid in ProcessLeaks.Find(marker))
            {
                try
                {
                    Process.GetProcessById(pid).Kill(entireProcessTree: true);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                    // Ended meanwhile.
                }
            }

            work.Delete(recursive: true);
        }
    }

    /// <summary>Settings of the test run's own environment that would configure the service.</summary>
    private static bool IsServiceSetting(string key) =>
        key.StartsWith("Workers__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
        || key is "DOTNET_ENVIRONMENT" or "URLS";

    /// <summary>The profiles of the published appsettings.json and their commands.</summary>
    private static Dictionary<string, string> ShippedProfiles(string appsettings)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(appsettings));
        return document.RootElement.GetProperty("Workers").GetProperty("Profiles").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.TryGetProperty("Command", out var c) ? c.GetString() ?? "" : "", StringComparer.Ordinal);
    }

    private static async Task<JsonElement> WaitForOkAsync(HttpClient client, string path, Process service, StringBuilder output,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        string last = "no answer";
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(service.HasExited, $"workers serve exited with {(service.HasExited ? service.ExitCode : 0)} before {path} answered:\n{Snapshot(output)}");
            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using var document = JsonDocument.Parse(body);
                    return document.RootElement.Clone();
                }

                last = $"{(int)response.StatusCode} {body}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            await Task.Delay(100, cancellationToken);
        }

        Assert.Fail($"{path} did not answer 200 within 60 s (last: {last}):\n{Snapshot(output)}");
        return default;
    }

    private static async Task WaitForAgentsAsync(string marker, int expected, Process service, StringBuilder output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var agents = 0;
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(service.HasExited, $"workers serve exited while its pools warmed up:\n{Snapshot(output)}");
            agents = ProcessLeaks.Find(marker).Count(pid => CommandLine(pid).Contains("Workers.SimAgent", StringComparison.Ordinal));
            if (agents >= expected)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        Assert.Fail($"{agents} of {expected} simulated agents started within 60 s:\n{Snapshot(output)}");
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The HEALTHCHECK's exec-form command, aimed at <paramref name="port"/> instead of the image's port.</summary>
    private static IReadOnlyList<string> HealthcheckCommand(DockerfileModel dockerfile, int port)
    {
        var healthcheck = dockerfile.Final.Last("HEALTHCHECK")!.Arguments;
        var json = healthcheck[(healthcheck.IndexOf("CMD [", StringComparison.Ordinal) + "CMD ".Length)..];
        var imagePort = new Uri(DockerfileModel.Environment(dockerfile.Final, _ => null)["Workers__Service__Urls"]).Port;
        return [.. JsonSerializer.Deserialize<string[]>(json)!.Select(a => a.Replace($"127.0.0.1:{imagePort}", $"127.0.0.1:{port}", StringComparison.Ordinal))];
    }

    /// <summary>The chart's startup-probe script (templates/_helpers.tpl, workers.warmPoolsScript) with the port filled in.</summary>
    private static string WarmPoolsScript(int port)
    {
        var helpers = File.ReadAllText(Path.Combine(DeploymentFiles.Templates, "_helpers.tpl"));
        var script = WarmPoolsDefine().Match(helpers);
        Assert.True(script.Success, "templates/_helpers.tpl defines no workers.warmPoolsScript.");
        var body = script.Groups["body"].Value.Replace("{{ .Values.containerPort }}", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            StringComparison.Ordinal);
        Assert.DoesNotContain("{{", body, StringComparison.Ordinal);
        return body;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"mountPath: (?<path>/\S+/appsettings\.Production\.json)")]
    private static partial Regex ConfigMountPath();

    [GeneratedRegex(@"define ""workers\.warmPoolsScript"" -\}\}\r?\n(?<body>.*?)\{\{- end -\}\}", RegexOptions.Singleline)]
    private static partial Regex WarmPoolsDefine();
}
