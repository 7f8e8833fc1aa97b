using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families;

/// <summary>What every connection to an agent process keeps, whatever its family's protocol: the process and its profile,
/// the clock and the logger, the readiness time, the session held, the turns served, the version reported, the broken
/// flag; stdout read through one <see cref="StdoutFilter"/>; and the stop on dispose. Two kinds derive from it:
/// <see cref="StdioConnection"/> for the families that decode their own line protocol, and the ACP connection, whose
/// lines go on to JSON-RPC.</summary>
internal abstract class AgentConnection : IAgentConnection, IStdoutHandler
{
    private readonly StdoutFilter _stdout;
    private Task _readLoop = Task.CompletedTask;
    private int _turnsServed;
    private volatile bool _broken;
    private int _disposed;

    protected AgentConnection(AgentProcess process, ResolvedProfile profile, TimeProvider timeProvider, ILogger logger)
    {
        Process = process;
        Profile = profile;
        TimeProvider = timeProvider;
        Logger = logger;
        _stdout = new StdoutFilter(this, profile.Options.MaxLineBytes, profile.Options.MaxTurnOutputBytes, logger, process.ProcessId);
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

    /// <summary>Counts a turn as served, when it starts.</summary>
    protected void CountTurn() => Interlocked.Increment(ref _turnsServed);

    /// <summary>True once the process broke its protocol (an oversized line): it is not given another turn.</summary>
    protected bool IsBroken => _broken;

    /// <summary>Retires the process after this turn: its stream can no longer be trusted to start the next turn clean.</summary>
    protected void MarkBroken() => _broken = true;

    public abstract bool CanServeAnotherTurn { get; }

    /// <summary>The running turn, if any.</summary>
    protected abstract TurnContext? ActiveTurn { get; }

    public abstract Task WaitReadyAsync(CancellationToken cancellationToken);

    public abstract Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken);

    public virtual Task CloseSessionsAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract SessionOffer SessionOffer { get; }

    public abstract Task<SessionOpened> OpenSessionAsync(SessionStep step, SessionRequest request, TurnContext turn,
        CancellationToken cancellationToken);

    /// <summary>The error for a step the process's <see cref="SessionOffer"/> did not allow: the session rung and the
    /// family disagree, a bug of ours rather than the agent's.</summary>
    protected InvalidOperationException StepNotOffered(SessionStep step, SessionRequest request) =>
        new($"Agent process {Process.ProcessId} cannot {step} for session {request.ResumeSessionId ?? "(new)"} in {request.WorkingDirectory}; "
            + $"it offers {SessionOffer}.");

    public abstract Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken);

    public abstract Task CancelTurnAsync(CancellationToken cancellationToken);

    /// <summary>Starts reading stdout; the family calls it once it can take lines.</summary>
    protected void StartReadingOutput() => _readLoop = Task.Run(ReadOutputAsync);

    /// <summary>One line that is exactly one JSON object, in stdout order (see <see cref="IStdoutHandler.OnObjectAsync"/>).</summary>
    protected abstract ValueTask OnObjectAsync(JsonElement message, ReadOnlyMemory<byte> utf8);

    /// <summary>A raw chunk of stdout (chunk framing only).</summary>
    protected virtual void OnChunk(string text)
    {
    }

    /// <summary>Why the family cannot take <paramref name="message"/> at all (see <see cref="IStdoutHandler.Unacceptable"/>); null
    /// when it can.</summary>
    protected virtual string? Unacceptable(JsonElement message) => null;

    /// <summary>Called once when stdout has ended, whether or not a turn was running.</summary>
    protected abstract ValueTask OnOutputEndedAsync();

    /// <summary>Ends the running turn, if any, with the outcome made for it.</summary>
    protected abstract void EndActiveTurn(Func<TurnContext, TurnOutcome> outcome);

    private void FailTurnAsBroken(string message)
    {
        MarkBroken();
        EndActiveTurn(turn => TurnOutcome.Failed(FailureReasons.ProtocolError, message, beforeOutput: !turn.HasOutput));
    }

    /// <summary>The failure of a turn whose process went away under it: before or after output, naming the exit and the
    /// last stderr lines.</summary>
    protected TurnOutcome ExitOutcome(TurnContext turn, AgentExit? exit)
    {
        var reason = turn.HasOutput ? FailureReasons.ProcessExitMidStream : FailureReasons.ProcessExitBeforeOutput;
        return TurnOutcome.Failed(reason, $"Agent process {Process.ProcessId} exited{ExitText(exit)} during the turn. {StderrSummary()}",
            beforeOutput: !turn.HasOutput);
    }

    protected string StderrSummary() => Process.Stderr.Summary();

    protected static string ExitText(AgentExit? exit) => AgentExit.Describe(exit);

    private async Task ReadOutputAsync()
    {
        try
        {
            await _stdout.ReadAllAsync(Process.Output);
        }
        finally
        {
            await OnOutputEndedAsync();
        }
    }

    /// <summary>Called first on dispose, before the process is stopped.</summary>
    protected virtual void OnDisposing()
    {
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        OnDisposing();
        await Process.StopAsync(Profile.Options.Timeouts.GracefulStop);
        await _readLoop;
        await Process.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    TurnContext? IStdoutHandler.ActiveTurn => ActiveTurn;

    ValueTask IStdoutHandler.OnObjectAsync(JsonElement message, ReadOnlyMemory<byte> utf8) => OnObjectAsync(message, utf8);

    string? IStdoutHandler.Unacceptable(JsonElement message) => Unacceptable(message);

    void IStdoutHandler.OnChunk(string text) => OnChunk(text);

    void IStdoutHandler.FailTurnAsBroken(string message) => FailTurnAsBroken(message);
}
