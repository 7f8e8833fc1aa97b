using System.Diagnostics;

namespace Workers.Chaos;

/// <summary>A service on this host that the chaos run starts, SIGKILLs and starts again (as an orchestrator would), and
/// stops with SIGTERM at the end. Its output goes to <paramref name="logPath"/>.</summary>
/// <param name="startInfo">How to start it (the same every time; it must listen on the run's URL).</param>
/// <param name="logPath">Its stdout and stderr, appended across restarts.</param>
public sealed class LocalService(Func<ProcessStartInfo> startInfo, string logPath) : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly Lock _logLock = new();
    private Process? _process;
    private long _peakRss;

    /// <summary>The running service's pid; null while it is not running.</summary>
    public int? Pid => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The highest resident set any of its runs reached (VmHWM), in bytes.</summary>
    public long PeakRssBytes => Math.Max(_peakRss, CurrentPeakRss());

    /// <summary>Starts the service (from a shell command line: <c>exec</c>'d, so the pid is the service's own).</summary>
    public static LocalService FromCommand(string command, string logPath) =>
        new(() => new ProcessStartInfo("/bin/sh", ["-c", "exec " + command]), logPath);

    public async Task StartAsync(Uri url, CancellationToken cancellationToken)
    {
        var start = startInfo();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        process.OutputDataReceived += (_, line) => Log(line.Data);
        process.ErrorDataReceived += (_, line) => Log(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {process.ExitCode} before it was ready (its log: {logPath}).");
            }

            try
            {
                using var ready = await client.GetAsync("/readyz", cancellationToken);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (Stopwatch.GetElapsedTime(started) > ReadyTimeout)
            {
                throw new TimeoutException($"The service was not ready within {ReadyTimeout.TotalSeconds} s (its log: {logPath}).");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGKILL: no shutdown code of the service runs; its agents are left to its orphan watchdog.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _peakRss = Math.Max(_peakRss, CurrentPeakRss());
        Signals.Send(process.Id, Signals.Kill);
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM, as an orchestrator stops it: running turns get the drain deadline; SIGKILL after a minute.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _peakRss = Math.Max(_peakRss, CurrentPeakRss());
        Signals.Send(process.Id, Signals.Terminate);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Signals.Send(process.Id, Signals.Kill);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private long CurrentPeakRss()
    {
        if (Pid is not { } pid)
        {
            return 0;
        }

        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            var kilobytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kilobytes is null ? 0 : long.Parse(kilobytes, System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            File.AppendAllText(logPath, line + "\n");
        }
    }
}
