using System.Diagnostics;

namespace Workers.IntegrationTests.Support;

/// <summary>The real <c>workers serve</c> executable as a child process (for tests that kill it).</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    /// <summary>The built service executable: the repository's <c>src/Workers.Host</c> output of the same configuration as the tests.</summary>
    public static string ExecutablePath
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                directory = directory.Parent;
            }

            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                ? "Release"
                : "Debug";
            return Path.Combine(directory!.FullName, "src", "Workers.Host", "bin", configuration, "net10.0", "workers");
        }
    }

    /// <summary>Starts the service with <paramref name="environment"/> (the .NET way of configuring it) on a free port and
    /// waits for <c>/readyz</c>.</summary>
    public static async Task<ServiceProcess> StartAsync(IDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo(ExecutablePath, "serve")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["Workers__Service__Urls"] = $"http://127.0.0.1:{port}";
        var process = Process.Start(start)!;
        // Drain the output so the service never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"));
        using var client = new HttpClient { BaseAddress = service.Address };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"workers serve exited with {process.ExitCode} before it was ready.");
            }

            try
            {
                using var ready = await client.GetAsync("/readyz", limit.Token);
                if (ready.IsSuccessStatusCode)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, limit.Token);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A graceful stop, as an orchestrator would ask.
            Processes.ProcessGroupSignal.Terminate(_process.Id);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
