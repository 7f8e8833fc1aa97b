using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Deployment;

/// <summary>The image without a container engine: the build stage's <c>dotnet publish</c> into a temporary directory,
/// then the image's ENTRYPOINT and CMD from that directory with the environment the Dockerfile's ENV lines set (read
/// from the Dockerfile, so they cannot drift), a temporary data directory instead of the /data volume, a free port, and
/// the chart's ConfigMap as a directory laid out the way the kubelet writes it. The service must answer /healthz,
/// /readyz and /startupz without a token, warm its pools, take a pool-size change of the ConfigMap without a restart,
/// and on SIGTERM (what a container runtime sends the entrypoint) exit 0 leaving no process behind: not itself, not its
/// watchdog, not one agent. Over the usual size: one published service started once per scenario, the scenarios sharing
/// its start-up and clean-up helpers.</summary>
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
        var output = new OutputBuffer();
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

            // 3. The chart's ConfigMap, as the Deployment mounts it: a directory (no subPath) that WORKERS_CONFIG_DIR names,
            //    laid out as the kubelet writes it (appsettings.json -> ..data/appsettings.json, ..data -> a timestamped
            //    directory, swapped on update). camelCase keys as the chart renders them, the drain deadline in the chart's
            //    TimeSpan format, and the profiles the chart's default values disable.
            var deployment = File.ReadAllText(Path.Combine(DeploymentFiles.Templates, "deployment.yaml"));
            Assert.Matches(@"- name: WORKERS_CONFIG_DIR\s*\n\s*value: \{\{ \.Values\.configDirectory\.mountPath \| quote \}\}", deployment);
            Assert.Matches(
                @"- name: DOTNET_USE_POLLING_FILE_WATCHER\s*\n\s*value: \{\{ \.Values\.configDirectory\.usePollingFileWatcher \| quote \}\}",
                deployment);
            var values = YamlJson.Load(DeploymentFiles.ValuesYaml)!;
            var usePolling = values["configDirectory"]!["usePollingFileWatcher"]!.GetValue<bool>();
            var disabled = values["profiles"]!.AsObject()
                .Where(p => p.Value?["enabled"]?.GetValue<bool>() == false).Select(p => p.Key).ToList();
            Assert.NotEmpty(disabled);
            var configDirectory = Directory.CreateDirectory(Path.Combine(work.FullName, "config")).FullName;
            await WriteConfigMapAsync(configDirectory, ConfigMapJson(minReady: 2, maxReady: 2, maxProcesses: 3, disabled), cancellationToken);

            // 4. The image's environment: the Dockerfile's ENV over this machine's (which stands in for the base image's),
            //    without any Workers/ASP.NET settings of the test run itself; then the volume and the port.
            var data = Path.Combine(work.FullName, "data");
            Directory.CreateDirectory(data);
            var port = LoopbackPort.Free();
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
            // What the Deployment adds: the ConfigMap's directory and the file watcher the chart chooses for it. And a token,
            // so that the probes are seen to need none (kubelet sends none).
            start.Environment["WORKERS_CONFIG_DIR"] = configDirectory;
            start.Environment["DOTNET_USE_POLLING_FILE_WATCHER"] = usePolling ? "true" : "false";
            var token = Guid.NewGuid().ToString("N");
            start.Environment["Workers__Service__ApiTokens__0"] = token;
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
            service.OutputDataReceived += (_, e) => output.Append(e.Data);
            service.ErrorDataReceived += (_, e) => output.Append(e.Data);
            service.Start();
            service.StandardInput.Close();
            service.BeginOutputReadLine();
            service.BeginErrorReadLine();

            // 5. The probes, without a token, as kubelet sends them; the API itself wants the token.
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            var healthz = await WaitForOkAsync(client, "/healthz", service, output, cancellationToken);
            var readyz = await WaitForOkAsync(client, "/readyz", service, output, cancellationToken);
            Assert.Equal("alive", healthz.GetProperty("status").GetString());
            Assert.Equal("ready", readyz.GetProperty("status").GetString());
            Assert.True(File.Exists(Path.Combine(data, "workers.db")), "The store is not in the data directory the image's ENV names.");
            using (var anonymous = await client.GetAsync("/v1/pools", cancellationToken))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            }

            using var api = new HttpClient { BaseAddress = client.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

            // 6. The pools warm up: one simulated agent per simulated profile (MinReady 1), two for sim-plain (the file
            //    above), each carrying the marker. The profiles the chart disables have no pool at all.
            await WaitForAgentsAsync(marker, simulated.Count + 1, service, output, cancellationToken);
            var plain = await PoolAsync(api, "sim-plain", cancellationToken);
            Assert.Equal(2, plain.GetProperty("minReady").GetInt32());
            Assert.Equal(3, plain.GetProperty("maxProcesses").GetInt32());
            using (var pools = JsonDocument.Parse(await api.GetStringAsync("/v1/pools", cancellationToken)))
            {
                var listed = pools.RootElement.GetProperty("pools").EnumerateArray().Select(p => p.GetProperty("profile").GetString()).ToList();
                Assert.All(disabled, name => Assert.DoesNotContain(name, listed));
                Assert.All(profiles.Keys.Except(disabled), name => Assert.Contains(name, listed));
            }

            // 7. The chart's startup probe (both of its paths) and the image's HEALTHCHECK (node) against this service. Like
            //    kubelet, the startup probe is retried: a process exists a little before its pool counts it ready.
            var startupPaths = StartupProbePaths().Matches(deployment).Select(m => m.Groups["path"].Value).ToList();
            Assert.Equal<string>(["/startupz", "/readyz"], startupPaths);
            foreach (var path in startupPaths)
            {
                await WaitForOkAsync(client, path, service, output, cancellationToken);
            }

            if (ToolRun.OnPath("node"))
            {
                var healthcheck = HealthcheckCommand(dockerfile, port);
                var healthy = await ToolRun.RunAsync(healthcheck[0], healthcheck.Skip(1), data, TimeSpan.FromSeconds(30), cancellationToken);
                Assert.True(healthy.ExitCode == 0, $"The Dockerfile's HEALTHCHECK fails against a healthy service:\n{healthy}");
            }
            else
            {
                TestContext.Current.SendDiagnosticMessage("node is not on PATH: the HEALTHCHECK command was not run.");
            }

            // 7b. A pool-size change of the ConfigMap, as the kubelet applies it (a new directory, the ..data link swapped),
            //     reaches the running service: a third sim-plain process, no restart. An invalid one is logged and ignored.
            await WriteConfigMapAsync(configDirectory, ConfigMapJson(minReady: 3, maxReady: 3, maxProcesses: 3, disabled), cancellationToken);
            await WaitForPoolAsync(api, "sim-plain", p => p.GetProperty("minReady").GetInt32() == 3, "minReady 3 after the ConfigMap changed",
                service, output, cancellationToken);
            await WaitForAgentsAsync(marker, simulated.Count + 2, service, output, cancellationToken);
            await WriteConfigMapAsync(configDirectory, ConfigMapJson(minReady: 4, maxReady: 3, maxProcesses: 3, disabled), cancellationToken);
            await WaitForOutputAsync(output, "were not applied", service, cancellationToken);
            Assert.Equal(3, (await PoolAsync(api, "sim-plain", cancellationToken)).GetProperty("minReady").GetInt32());

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
                    Assert.Fail($"workers serve did not exit within 60 s of SIGTERM:\n{output}");
                }
            }

            service.WaitForExit();
            Assert.True(service.ExitCode == 0, $"workers serve exited with {service.ExitCode} after SIGTERM:\n{output}");
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
        || key is "DOTNET_ENVIRONMENT" or "URLS" or "WORKERS_CONFIG_DIR" or "DOTNET_USE_POLLING_FILE_WATCHER";

    /// <summary>The ConfigMap's appsettings.json as the chart renders it (camelCase), for the pool of sim-plain.</summary>
    private static string ConfigMapJson(int minReady, int maxReady, int maxProcesses, IEnumerable<string> disabled)
    {
        var profiles = disabled.ToDictionary(name => name, object (_) => new { enabled = false }, StringComparer.Ordinal);
        profiles["sim-plain"] = new { pool = new { minReady, maxReady, maxProcesses } };
        return JsonSerializer.Serialize(new { Workers = new { maintenance = new { drainDeadline = "0.00:00:20" }, profiles } });
    }

    /// <summary>Writes the ConfigMap's file the way the kubelet's atomic writer does: into a new timestamped directory, then
    /// the <c>..data</c> link is swapped to it by a rename (appsettings.json, a link through ..data, is never written).</summary>
    private static async Task WriteConfigMapAsync(string directory, string json, CancellationToken cancellationToken)
    {
        var version = Path.Combine(directory, $"..{TimeProvider.System.GetUtcNow():yyyy_MM_dd_HH_mm_ss.fffffff}");
        Directory.CreateDirectory(version);
        await File.WriteAllTextAsync(Path.Combine(version, "appsettings.json"), json, cancellationToken);
        var data = Path.Combine(directory, "..data");
        var previous = Directory.Exists(data) ? new DirectoryInfo(data).LinkTarget : null;
        var swap = Path.Combine(directory, "..data_tmp");
        File.CreateSymbolicLink(swap, Path.GetFileName(version));
        Assert.True(Rename(swap, data) == 0, $"rename {swap} {data} failed: errno {Marshal.GetLastPInvokeError()}.");
        var file = Path.Combine(directory, "appsettings.json");
        if (!File.Exists(file))
        {
            File.CreateSymbolicLink(file, "..data/appsettings.json");
        }

        if (previous is not null)
        {
            Directory.Delete(Path.Combine(directory, previous), recursive: true);
        }
    }

    private static async Task<JsonElement> PoolAsync(HttpClient api, string profile, CancellationToken cancellationToken)
    {
        using var pools = JsonDocument.Parse(await api.GetStringAsync("/v1/pools", cancellationToken));
        return pools.RootElement.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == profile).Clone();
    }

    private static async Task WaitForPoolAsync(HttpClient api, string profile, Func<JsonElement, bool> condition, string what, Process service,
        OutputBuffer output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var pool = default(JsonElement);
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(service.HasExited, $"workers serve exited while waiting for {profile}: {what}:\n{output}");
            pool = await PoolAsync(api, profile, cancellationToken);
            if (condition(pool))
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }

        Assert.Fail($"{profile} did not reach {what} within 60 s (last: {pool}):\n{output}");
    }

    private static async Task WaitForOutputAsync(OutputBuffer output, string text, Process service, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(service.HasExited, $"workers serve exited while waiting for '{text}' in its log:\n{output}");
            if (output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }

        Assert.Fail($"'{text}' did not appear in the log within 60 s:\n{output}");
    }

    /// <summary>The profiles of the published appsettings.json and their commands.</summary>
    private static Dictionary<string, string> ShippedProfiles(string appsettings)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(appsettings));
        return document.RootElement.GetProperty("Workers").GetProperty("Profiles").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.TryGetProperty("Command", out var c) ? c.GetString() ?? "" : "", StringComparer.Ordinal);
    }

    private static async Task<JsonElement> WaitForOkAsync(HttpClient client, string path, Process service, OutputBuffer output,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        string last = "no answer";
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(service.HasExited, $"workers serve exited with {(service.HasExited ? service.ExitCode : 0)} before {path} answered:\n{output}");
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

        Assert.Fail($"{path} did not answer 200 within 60 s (last: {last}):\n{output}");
        return default;
    }

    private static async Task WaitForAgentsAsync(string marker, int expected, Process service, OutputBuffer output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var agents = 0;
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(service.HasExited, $"workers serve exited while its pools warmed up:\n{output}");
            agents = ProcessLeaks.Find(marker).Count(pid => CommandLine(pid).Contains("Workers.SimAgent", StringComparison.Ordinal));
            if (agents >= expected)
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        Assert.Fail($"{agents} of {expected} simulated agents started within 60 s:\n{output}");
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

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    /// <summary>rename(2), which replaces the <c>..data</c> link atomically as the kubelet does (File.Move follows the link).</summary>
    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string from, string to);

    /// <summary>The paths of the startup probe's httpGet in templates/deployment.yaml, in order (an if/else on
    /// probes.startup.waitForWarmPools).</summary>
    [GeneratedRegex(@"(?<=startupProbe:(?:(?!livenessProbe:).)*?)path: (?<path>/\w+)", RegexOptions.Singleline)]
    private static partial Regex StartupProbePaths();
}
