using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Workers.IntegrationTests.Processes;

using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Observability;

/// <summary>A real Prometheus server (the Debian <c>prometheus</c> package, installed by <c>.ci/prepare.sh</c>) on 127.0.0.1 and a free
/// port, with a temporary data directory and a generated configuration; stopped by its pid (SIGTERM, then SIGKILL) on dispose.
/// Over the usual size: start, readiness, queries and shutdown of one external server belong together.</summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _log = new();

    private PrometheusServer(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    /// <summary>What the server logged so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The full path of an executable on <c>PATH</c>, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    public static string Require(string name) => FindOnPath(name) ?? throw new InvalidOperationException(
        $"`{name}` is not installed (not on PATH). These tests need a real Prometheus: run `.ci/prepare.sh` as root, which installs the "
        + "Debian package `prometheus` (it brings `promtool`), or `apt-get install -y prometheus`.");

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (host:port) every second with <paramref name="ruleFiles"/>
    /// evaluated every second, and waits for <c>/-/ready</c>. <paramref name="marker"/> goes into its environment so the test's leak
    /// check (<see cref="Support.ProcessLeaks"/>) sees it too.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, IReadOnlyList<string> ruleFiles, string marker,
        CancellationToken cancellationToken)
    {
        var executable = Require("prometheus");
        var directory = Directory.CreateTempSubdirectory("workers-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, Config(target, ruleFiles), cancellationToken);
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[]
        {
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
            // As ops/prometheus/prometheus.example.yml asks: the turn histograms' exemplars link a bucket to a turn's trace.
            "--enable-feature=exemplar-storage",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[Support.ProcessLeaks.MarkerVariable] = marker;
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start.");
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static string Config(string target, IReadOnlyList<string> ruleFiles) => $"""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
          evaluation_interval: 1s
        rule_files:
        {string.Join('\n', ruleFiles.Select(f => $"  - {JsonSerializer.Serialize(f)}"))}
        scrape_configs:
          - job_name: workers
            metrics_path: /metrics
            static_configs:
              - targets: [{JsonSerializer.Serialize(target)}]
        """;

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 64 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode} before it was ready:\n{Log}");
            }

            try
            {
                using var ready = await Client.GetAsync("/-/ready", limit.Token);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"prometheus was not ready within 20 s:\n{Log}");
            }

            await Task.Delay(50, limit.Token);
        }
    }

    /// <summary>The outcome of one instant query.</summary>
    public sealed record QueryResult(string? Error, string ResultType, IReadOnlyList<JsonElement> Series)
    {
        /// <summary>Samples that are numbers (not NaN, not ±Inf).</summary>
        public int FiniteCount => Series.Count(s => double.TryParse(s.GetProperty("value")[1].GetString(), NumberStyles.Float,
            CultureInfo.InvariantCulture, out var v) && double.IsFinite(v));
    }

    /// <summary>Evaluates <paramref name="promql"/> at the current time through <c>GET /api/v1/query</c>.</summary>
    public async Task<QueryResult> QueryAsync(string promql, CancellationToken cancellationToken)
    {
        using var response = await Client.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return new QueryResult($"{root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}", "", []);
        }

        var data = root.GetProperty("data");
        var type = data.GetProperty("resultType").GetString()!;
        var result = data.GetProperty("result");
        IReadOnlyList<JsonElement> series = type is "vector" or "matrix"
            ? [.. result.EnumerateArray().Select(e => e.Clone())]
            : [result.Clone()];
        return new QueryResult(null, type, series);
    }

    /// <summary>The number a one-series query gives, or null when it gives no series.</summary>
    public async Task<double?> ScalarAsync(string promql, CancellationToken cancellationToken)
    {
        var result = await QueryAsync(promql, cancellationToken);
        Assert.True(result.Error is null, $"{promql}: {result.Error}");
        return result.Series.Count == 0 ? null
            : double.Parse(result.Series[0].GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>The <c>trace_id</c> of every exemplar stored for the series of <paramref name="selector"/> in the last hour
    /// (<c>GET /api/v1/query_exemplars</c>).</summary>
    public async Task<IReadOnlyList<string>> ExemplarTraceIdsAsync(string selector, CancellationToken cancellationToken)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var query = $"/api/v1/query_exemplars?query={Uri.EscapeDataString(selector)}&start={now - 3600}&end={now + 60}";
        using var document = JsonDocument.Parse(await Client.GetStringAsync(query, cancellationToken));
        return [.. document.RootElement.GetProperty("data").EnumerateArray()
            .SelectMany(series => series.GetProperty("exemplars").EnumerateArray())
            .Select(e => e.GetProperty("labels").TryGetProperty("trace_id", out var id) ? id.GetString() ?? "" : "")];
    }

    /// <summary><c>GET /api/v1/rules</c>: every loaded rule group.</summary>
    public async Task<JsonElement> RulesAsync(CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync("/api/v1/rules", cancellationToken));
        return document.RootElement.GetProperty("data").GetProperty("groups").Clone();
    }

    /// <summary>Waits until Prometheus has scraped the service <paramref name="scrapes"/> more times than now.</summary>
    public async Task WaitForScrapesAsync(int scrapes, CancellationToken cancellationToken)
    {
        const string Count = "count_over_time(up{job=\"workers\"}[10m])";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(20));
        var before = await ScalarAsync(Count, limit.Token) ?? 0;
        while ((await ScalarAsync(Count, limit.Token) ?? 0) < before + scrapes)
        {
            await Task.Delay(100, limit.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                ProcessGroupSignal.Terminate(_process.Id);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill();
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Left to the OS temp cleaner.
            }
        }
    }
}

/// <summary>Runs <c>promtool</c> with a time limit.</summary>
internal static class Promtool
{
    public sealed record Run(int ExitCode, string Output);

    public static async Task<Run> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(PrometheusServer.Require("promtool"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = OpsFiles.RepoRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"promtool {string.Join(' ', start.ArgumentList)} did not finish within 30 s.");
        }

        return new Run(process.ExitCode, $"{await output}{await error}");
    }
}
