using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Workers.Processes;

namespace Workers.Benchmarks;

/// <summary><c>workers serve</c> as a child process (the built <c>Workers.Host</c>), on a free loopback port over its
/// own data directory, configured through the environment as an operator would. A child rather than in-process, so
/// its RSS and CPU are its own, apart from the load generator's. Disposing it stops it and checks its agents are gone.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDirectory;
    private readonly Queue<string> _outputTail = new();

    private ServiceProcess(Process process, Uri address, string dataDirectory)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        Address = address;
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the service with <paramref name="settings"/> (configuration keys, <c>:</c>-separated) on top of its
    /// shipped <c>appsettings.json</c>, whose own profiles are disabled so that only the benchmark's agents run.</summary>
    public static async Task<ServiceProcess> StartAsync(IReadOnlyDictionary<string, string> settings)
    {
        var executable = HostExecutable();
        var data = Directory.CreateTempSubdirectory("workers-bench-service-").FullName;
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var start = new ProcessStartInfo(executable, ["serve"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = data,
        };
        var environment = new Dictionary<string, string>
        {
            ["Workers:DataDirectory"] = data,
            ["Workers:Service:Urls"] = address.ToString().TrimEnd('/'),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var shipped in ShippedProfiles(Path.GetDirectoryName(executable)!))
        {
            environment[$"Workers:Profiles:{shipped}:Enabled"] = "false";
        }

        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var service = new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start"), address, data);
        try
        {
            await service.WaitUntilAsync(async http => (await http.GetAsync("/readyz")).IsSuccessStatusCode, "the service to be ready");
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client for this service; each producer gets its own, so they do not share a connection pool.</summary>
    public HttpClient NewClient() => new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = Address,
        Timeout = TimeSpan.FromSeconds(120),
    };

    public Task WaitForReadyAgentsAsync(string profile, int count) =>
        WaitUntilAsync(async http => await ReadyAgentsAsync(http, profile) >= count, $"{count} ready agents of {profile}");

    public static async Task<int> ReadyAgentsAsync(HttpClient http, string profile)
    {
        var pools = await http.GetFromJsonAsync<JsonElement>("/v1/pools");
        return pools.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == profile)
            .GetProperty("processes").GetProperty("ready").GetInt32();
    }

    /// <summary>The profile's entry of <c>/v1/pools</c> (process counts, <c>spawned</c>, <c>retiredByReason</c>).</summary>
    public async Task<JsonElement> PoolAsync(string profile)
    {
        using var http = NewClient();
        var pools = await http.GetFromJsonAsync<JsonElement>("/v1/pools");
        return pools.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == profile).Clone();
    }

    /// <summary>The pids of the profile's agent processes, as <c>/v1/pools/{profile}/processes</c> lists them.</summary>
    public async Task<List<int>> AgentProcessIdsAsync(string profile)
    {
        using var http = NewClient();
        var processes = await http.GetFromJsonAsync<JsonElement>($"/v1/pools/{profile}/processes");
        return processes.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32()).ToList();
    }

    public ProcStatus Memory() => ProcStatus.Of(_process.Id) ?? throw new InvalidOperationException("the service is gone");

    private async Task WaitUntilAsync(Func<HttpClient, Task<bool>> condition, string what)
    {
        using var http = NewClient();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the service exited ({_process.ExitCode}) waiting for {what}: {string.Join('\n', _outputTail)}");
            }

            try
            {
                if (await condition(http))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"waited 60 s for {what}: {string.Join('\n', _outputTail)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>SIGTERM (the service stops its agents), and past 30 s SIGKILL of its tree; then any agent still alive is
    /// named and killed, so no benchmark leaves a process behind.</summary>
    public async ValueTask DisposeAsync()
    {
        var agents = new List<int>();
        if (!_process.HasExited)
        {
            try
            {
                using var http = NewClient();
                var pools = await http.GetFromJsonAsync<JsonElement>("/v1/pools");
                foreach (var pool in pools.GetProperty("pools").EnumerateArray().Where(p => p.GetProperty("available").GetBoolean()))
                {
                    agents.AddRange(await AgentProcessIdsAsync(pool.GetProperty("profile").GetString()!));
                }
            }
            catch (HttpRequestException)
            {
                // Already stopping; its agents are checked by the ledger's own means.
            }

            ProcessGroup.SignalProcess(_process.Id, 15);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("the service did not stop within 30 s of SIGTERM: killed");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        foreach (var agent in agents.Where(pid => Directory.Exists($"/proc/{pid}")))
        {
            Console.Error.WriteLine($"agent {agent} outlived the service: killed");
            ProcessGroup.SignalProcess(agent, 9);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // An agent that just exited may still be writing its session files.
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputTail)
        {
            _outputTail.Enqueue(line);
            while (_outputTail.Count > 20)
            {
                _outputTail.Dequeue();
            }
        }
    }

    /// <summary>The built <c>workers</c> beside this benchmark's build: same configuration, same target framework.</summary>
    private static string HostExecutable()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var (framework, configuration) = (output.Name, output.Parent!.Name);
        var repository = output.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var executable = Path.Combine(repository, "src", "Workers.Host", "bin", configuration, framework, "workers");
        return File.Exists(executable)
            ? executable
            : throw new FileNotFoundException($"{executable} is not built: dotnet build -c {configuration} src/Workers.Host");
    }

    private static List<string> ShippedProfiles(string hostDirectory)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(hostDirectory, "appsettings.json")));
        return settings.RootElement.GetProperty("Workers").GetProperty("Profiles").EnumerateObject().Select(p => p.Name).ToList();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
