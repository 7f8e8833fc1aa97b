using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace Workers.Processes;

/// <summary>A live agent child process: its stdin, its stdout cut into lines (or chunks), the tail of its
/// stderr, and its exit. It leads its own process group, so stopping it ends its children too.</summary>
public sealed partial class AgentProcess : IAgentProcess, IAsyncDisposable
{
    private const int OutputQueueCapacity = 1024;
    private const int ReadBufferBytes = 64 * 1024;

    private readonly Pipe _stdin = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Channel<AgentOutput> _stdout = Channel.CreateBounded<AgentOutput>(
        new BoundedChannelOptions(OutputQueueCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _forceful = new();
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly LaunchSpec _spec;
    private int _stdinClosed;
    private int _disposed;

    private AgentProcess(LaunchSpec spec, TimeProvider timeProvider, ILogger logger)
    {
        _spec = spec;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>What the process was launched with.</summary>
    public LaunchSpec Spec => _spec;

    /// <summary>The process's arguments (after the executable).</summary>
    public IReadOnlyList<string> Arguments => _spec.Arguments;

    /// <summary>The process id; also its process group id.</summary>
    public int ProcessId { get; private set; }

    /// <summary>Monotonic timestamp of the spawn.</summary>
    public long SpawnedTimestamp { get; private set; }

    /// <summary>Wall time of the spawn (for ages shown to operators and for the start-up reaper).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public StderrTail Stderr { get; } = new();

    /// <summary>Completes when the process has exited and its output was read to the end.</summary>
    public Task<AgentExit> Exited { get; private set; } = null!;

    /// <summary>Stdout, in order; completes at EOF.</summary>
    public ChannelReader<AgentOutput> Output => _stdout.Reader;

    public bool HasExited => Exited.IsCompleted;

    public bool IsRunnable => !HasExited && ProcessLiveness.IsRunnable(ProcessId) && !StoppedProcessGroups.HasStoppedFollower(ProcessId);

    public string ReadStderr() => Stderr.Read();

    public void BeginTurn() => Stderr.BeginTurn();

    /// <summary>Starts <paramref name="spec"/> as the leader of a new process group.</summary>
    /// <exception cref="SpawnFailedException">The executable could not be started.</exception>
    public static AgentProcess Start(LaunchSpec spec, TimeProvider timeProvider, ILogger logger)
    {
        var process = new AgentProcess(spec, timeProvider, logger);
        process.Launch();
        return process;
    }

    private void Launch()
    {
        // setsid makes the agent the leader of its own group and session while keeping its pid (it execs
        // in place because our forked child is not a group leader), so kill(-pid) reaches grandchildren.
        var command = Cli.Wrap("setsid")
            .WithArguments(builder => builder.Add(_spec.FileName).Add(_spec.Arguments))
            .WithWorkingDirectory(_spec.WorkingDirectory)
            .WithEnvironmentVariables(ChildEnvironmentOverrides())
            .WithValidation(CommandResultValidation.None)
            .WithStandardInputPipe(PipeSource.FromStream(_stdin.Reader.AsStream()))
            .WithStandardOutputPipe(PipeTarget.Create(ReadStdoutAsync))
            .WithStandardErrorPipe(PipeTarget.Create(ReadStderrAsync));

        SpawnedTimestamp = _timeProvider.GetTimestamp();
        StartedAt = _timeProvider.GetUtcNow();
        CommandTask<CommandResult> task;
        try
        {
            task = command.ExecuteAsync(_forceful.Token);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new SpawnFailedException("ENOENT", $"Could not start 'setsid' for '{_spec.FileName}': {ex.Message}", ex);
        }

        ProcessId = task.ProcessId;
        Exited = WaitForExitAsync(task);
        Log.Started(_logger, _spec.FileName, ProcessId);
    }

    private async Task<AgentExit> WaitForExitAsync(CommandTask<CommandResult> task)
    {
        int exitCode;
        try
        {
            exitCode = (await task).ExitCode;
        }
        catch (OperationCanceledException)
        {
            // Forceful cancellation: CliWrap killed the tree.
            exitCode = 128 + ProcessGroup.SigKill;
        }
        catch (Exception ex)
        {
            Log.WaitFailed(_logger, ProcessId, ex);
            exitCode = -1;
        }

        // Whatever the leader left behind in its group is an orphan now.
        ProcessGroup.Signal(ProcessId, ProcessGroup.SigKill);
        _stdin.Writer.Complete();
        return new AgentExit(exitCode, _timeProvider.GetTimestamp());
    }

    private Dictionary<string, string?> ChildEnvironmentOverrides()
    {
        // CliWrap layers variables over the service's environment; null removes one, so the child sees
        // exactly the spec's environment and no operator credential leaks in.
        var overrides = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            overrides[key] = null;
        }

        foreach (var (key, value) in _spec.Environment)
        {
            overrides[key] = value;
        }

        return overrides;
    }

    /// <summary>Writes one line (a newline is appended) to the agent's stdin.</summary>
    /// <exception cref="IOException">stdin is closed or the process is gone.</exception>
    public async ValueTask WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _stdinClosed) == 1 || HasExited)
            {
                throw new IOException($"stdin of agent process {ProcessId} is closed.");
            }

            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            var result = await _stdin.Writer.WriteAsync(bytes, cancellationToken);
            if (result.IsCompleted)
            {
                throw new IOException($"stdin of agent process {ProcessId} is closed.");
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The raw stdin pipe, for a protocol library that frames its own messages (JSON-RPC).</summary>
    public PipeWriter Input => _stdin.Writer;

    /// <summary>The exit, if the process exits within <paramref name="grace"/>: its stdout ends just before the exit is
    /// reaped, and a grandchild may hold stderr open, so a reader that saw the end of output waits a moment for the code.</summary>
    public async Task<AgentExit?> WaitForExitAsync(TimeSpan grace)
    {
        try
        {
            return await Exited.WaitAsync(grace, _timeProvider);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Closes stdin: the agent sees EOF.</summary>
    public void CloseInput()
    {
        if (Interlocked.Exchange(ref _stdinClosed, 1) == 0)
        {
            _stdin.Writer.Complete();
        }
    }

    /// <summary>Sends a signal to the process group (SIGSTOP and SIGCONT in chaos tests, SIGTERM on stop).</summary>
    public bool SignalGroup(int signal) => ProcessGroup.Signal(ProcessId, signal);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!HasExited)
        {
            await KillAsync();
        }

        _forceful.Dispose();
        _writeLock.Dispose();
    }
}
