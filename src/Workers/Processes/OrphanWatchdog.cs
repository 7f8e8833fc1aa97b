using System.IO.Pipelines;
using System.Text;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace Workers.Processes;

/// <summary>Ends the agents' process groups if the service dies without stopping them (SIGKILL, OOM kill).
/// A tiny shell process in its own session reads "+pgid"/"-pgid" lines from a pipe whose other end only the
/// service holds (pipes are close-on-exec, so agents do not inherit it). When the service dies the kernel closes
/// that end, the watchdog reads EOF and sends SIGTERM, then SIGKILL, to every group still listed.
/// Not PR_SET_PDEATHSIG: that fires when the forking *thread* exits, and .NET forks from pool threads.</summary>
public sealed partial class OrphanWatchdog : IAsyncDisposable
{
    // `trap ''` keeps a Ctrl-C or SIGTERM aimed at the service's group from taking the watchdog with it.
    private const string Script = """
        trap '' INT TERM HUP
        groups=" "
        while IFS= read -r line; do
          case "$line" in
            +*) groups="$groups${line#+} " ;;
            -*) groups=$(printf '%s' "$groups" | sed "s/ ${line#-} / /") ;;
          esac
        done
        [ -z "$(printf '%s' "$groups" | tr -d ' ')" ] && exit 0
        for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
        sleep 2
        for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
        """;

    private readonly Pipe _input = new(new PipeOptions(useSynchronizationContext: false));
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _kill = new();
    private readonly CommandTask<CommandResult> _task;
    private int _disposed;

    public OrphanWatchdog(ILogger<OrphanWatchdog> logger)
    {
        _logger = logger;
        _task = Cli.Wrap("setsid")
            .WithArguments(["sh", "-c", Script])
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(PipeSource.FromStream(_input.Reader.AsStream()))
            .ExecuteAsync(_kill.Token);
        LogStarted(_logger, _task.ProcessId);
    }

    /// <summary>The watchdog's own pid.</summary>
    public int ProcessId => _task.ProcessId;

    /// <summary>Watches <paramref name="process"/>'s group until it exits.</summary>
    public void Track(AgentProcess process)
    {
        Send($"+{process.ProcessId}");
        process.Exited.ContinueWith(_ => Send($"-{process.ProcessId}"), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void Send(string line)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        _ = SendAsync(line);
    }

    private async Task SendAsync(string line)
    {
        await _writeLock.WaitAsync();
        try
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                await _input.Writer.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));
            }
        }
        catch (InvalidOperationException)
        {
            // Completed concurrently with disposal.
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Closes the watchdog's input: it ends the groups still listed (none, after a clean stop) and exits.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            await _input.Writer.CompleteAsync();
        }
        finally
        {
            _writeLock.Release();
        }

        try
        {
            await _task.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            await _kill.CancelAsync();
        }

        _kill.Dispose();
    }

    [LoggerMessage(EventId = Logging.EventIds.Processes + 20, Level = LogLevel.Debug, Message = "Orphan watchdog runs as process {ProcessId}")]
    private static partial void LogStarted(ILogger logger, int processId);
}
