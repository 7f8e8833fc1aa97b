using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families;

/// <summary>The common part of the families that speak their own line protocol on stdio (Claude stream-json,
/// json-event-stream, plain): one read loop decodes stdout in order and hands each record to the family,
/// and the end of the output ends a running turn with a named reason.</summary>
public abstract partial class StdioConnection : IAgentConnection
{
    private readonly Lock _lock = new();
    private readonly Task _readLoop;
    private TurnState? _turn;
    private int _turnsServed;
    private int _disposed;

    protected StdioConnection(AgentProcess process, ResolvedProfile profile, TimeProvider timeProvider, ILogger logger)
    {
        Process = process;
        Profile = profile;
        TimeProvider = timeProvider;
        Logger = logger;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The process, with its pipes: the family speaks through it.</summary>
    protected AgentProcess Process { get; }

    IAgentProcess IAgentConnection.Process => Process;

    protected ResolvedProfile Profile { get; }

    protected TimeProvider TimeProvider { get; }

    protected ILogger Logger { get; }

    public long? ReadyTimestamp { get; protected set; }

    public string? SessionId { get; protected set; }

    public string? SessionWorkingDirectory { get; protected set; }

    public int TurnsServed => Volatile.Read(ref _turnsServed);

    public event Action<string>? VersionReported;

    protected void ReportVersion(string? version)
    {
        if (!string.IsNullOrEmpty(version))
        {
            VersionReported?.Invoke(version);
        }
    }

    /// <summary>True once the process broke its protocol (an oversized line): it is not given another turn.</summary>
    protected bool IsBroken { get; private set; }

    /// <summary>Retires the process after this turn: its stream can no longer be trusted to start the next turn clean.</summary>
    protected void MarkBroken() => IsBroken = true;

    /// <summary>True when the output has ended (the process is gone or closed stdout).</summary>
    protected bool OutputEnded { get; private set; }

    public abstract bool CanServeAnotherTurn { get; }

    /// <summary>The running turn, if any.</summary>
    protected TurnContext? ActiveTurn
    {
        get
        {
            lock (_lock)
            {
                return _turn?.Context;
            }
        }
    }

    public abstract Task WaitReadyAsync(CancellationToken cancellationToken);

    /// <summary>These families hold one session fixed at launch: there is nothing to open ahead of a turn.</summary>
    public Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract Task<SessionOpened> OpenSessionAsync(SessionRequest request, TurnContext turn, CancellationToken cancellationToken);

    public abstract Task CancelTurnAsync(CancellationToken cancellationToken);

    public async Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var state = new TurnState(turn);
        lock (_lock)
        {
            if (_turn is not null)
            {
                throw new InvalidOperationException($"Agent process {Process.ProcessId} is already running turn {_turn.Context.TurnId}.");
            }

            if (OutputEnded)
            {
                return TurnOutcome.Failed(FailureReasons.ProcessExitBeforeOutput,
                    $"Agent process {Process.ProcessId} has exited. {StderrSummary()}", beforeOutput: true);
            }

            _turn = state;
        }

        Interlocked.Increment(ref _turnsServed);
        try
        {
            await SendPromptAsync(turn, cancellationToken);
        }
        catch (IOException ex)
        {
            // The process died under the write; the read loop will end the turn with the exit's reason.
            LogWriteFailed(Logger, Process.ProcessId, ex.Message);
        }

        try
        {
            return await state.Outcome.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            lock (_lock)
            {
                if (ReferenceEquals(_turn, state))
                {
                    _turn = null;
                }
            }
        }
    }

    /// <summary>Writes the turn's prompt the family's way.</summary>
    protected abstract Task SendPromptAsync(TurnContext turn, CancellationToken cancellationToken);

    /// <summary>One decoded JSON record of stdout, in order.</summary>
    protected abstract void OnMessage(JsonElement message);

    /// <summary>A raw chunk of stdout (chunk framing only).</summary>
    protected virtual void OnChunk(string text)
    {
    }

    /// <summary>The output ended while a turn ran: the family may recognise a stale session from stderr, or an
    /// exit that still completes a one-shot turn.</summary>
    protected virtual TurnOutcome OutcomeOnExit(TurnContext turn, AgentExit? exit)
    {
        var reason = turn.HasOutput ? FailureReasons.ProcessExitMidStream : FailureReasons.ProcessExitBeforeOutput;
        return TurnOutcome.Failed(reason, $"Agent process {Process.ProcessId} exited{ExitText(exit)} during the turn. {StderrSummary()}",
            beforeOutput: !turn.HasOutput);
    }

    /// <summary>Ends the running turn with <paramref name="outcome"/>; later outcomes of the same turn are ignored.</summary>
    protected void CompleteTurn(TurnOutcome outcome)
    {
        TurnState? state;
        lock (_lock)
        {
            state = _turn;
        }

        if (state is not null)
        {
            state.Context.Clock.MarkFinished();
            state.Outcome.TrySetResult(outcome);
        }
    }

    protected string StderrSummary() => Process.Stderr.Summary();

    protected static string ExitText(AgentExit? exit) => AgentExit.Describe(exit);

    private async Task ReadLoopAsync()
    {
        try
        {
            await foreach (var output in Process.Output.ReadAllAsync())
            {
                try
                {
                    Dispatch(output);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A decoding bug must fail the turn, not kill the read loop and hang it.
                    LogDecodeFailed(Logger, Process.ProcessId, ex);
                    FailTurnAsBroken($"Could not decode agent output: {ex.Message}");
                }
            }
        }
        finally
        {
            await OnOutputEndedAsync();
        }
    }

    private void Dispatch(AgentOutput output)
    {
        switch (output.Kind)
        {
            case AgentOutputKind.Chunk:
                OnChunk(output.Text);
                break;
            case AgentOutputKind.OversizedLine:
                FailTurnAsBroken($"The agent wrote a {output.Bytes}-byte line; the limit is {Profile.Options.MaxLineBytes} (MaxLineBytes).");
                break;
            default:
                if (string.IsNullOrWhiteSpace(output.Text))
                {
                    return;
                }

                JsonDocument document;
                try
                {
                    document = JsonDocument.Parse(output.Text);
                }
                catch (JsonException)
                {
                    OnUnparsableLine(output.Text);
                    return;
                }

                using (document)
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        OnMessage(document.RootElement);
                    }
                    else
                    {
                        OnUnparsableLine(output.Text);
                    }
                }

                break;
        }
    }

    private void OnUnparsableLine(string line)
    {
        // The ACP SDKs and the Claude SDK skip what they cannot parse; so do we, and say so.
        var preview = line.Length > 120 ? line[..120] + "…" : line;
        ActiveTurn?.Emit(new AgentNotice("unparsable_line", $"Skipped a line that is not a JSON object: {preview}"));
    }

    private void FailTurnAsBroken(string message)
    {
        IsBroken = true;
        var turn = ActiveTurn;
        if (turn is not null)
        {
            CompleteTurn(TurnOutcome.Failed(FailureReasons.ProtocolError, message, beforeOutput: !turn.HasOutput));
        }
    }

    private async Task OnOutputEndedAsync()
    {
        var exit = await Process.WaitForExitAsync(TimeSpan.FromSeconds(2));
        TurnState? state;
        lock (_lock)
        {
            OutputEnded = true;
            state = _turn;
        }

        OnProcessEnded(exit);
        if (state is not null)
        {
            CompleteTurn(OutcomeOnExit(state.Context, exit));
        }
    }

    /// <summary>Called once when the output ended, whether or not a turn was running.</summary>
    protected virtual void OnProcessEnded(AgentExit? exit)
    {
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await Process.StopAsync(Profile.Options.Timeouts.GracefulStop);
        await _readLoop;
        await Process.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    private sealed class TurnState(TurnContext context)
    {
        public TurnContext Context { get; } = context;

        public TaskCompletionSource<TurnOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
