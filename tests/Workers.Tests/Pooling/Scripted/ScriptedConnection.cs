using Workers.Families;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Tests.Pooling.Scripted;

/// <summary>A scripted agent connection: readiness when the test says so (or at once), sessions opened the way a
/// family that serves many sessions opens them, and turns that succeed at once.</summary>
internal sealed class ScriptedConnection(ScriptedProcess process, LaunchRequest launch, bool readyAtOnce) : IAgentConnection
{
    private readonly TaskCompletionSource _ready = CreateReady(readyAtOnce);
    private string? _preopened;
    private int _turnsServed;

    public LaunchRequest Launch { get; } = launch;

    public ScriptedProcess ScriptedProcess { get; } = process;

    public IAgentProcess Process => ScriptedProcess;

    public long? ReadyTimestamp { get; private set; }

    public string? SessionId { get; private set; }

    public string? SessionWorkingDirectory { get; private set; }

    public int TurnsServed => Volatile.Read(ref _turnsServed);

    public bool CanServeAnotherTurn => !ScriptedProcess.HasExited && !Broken;

    /// <summary>Set by a test to play a process that broke its protocol.</summary>
    public bool Broken { get; set; }

    public int Preopens { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>Set by a test to play an agent that ignores stdin EOF and SIGTERM: its stop ends only when it is killed.</summary>
    public bool StopsOnlyWhenKilled { get; set; }

    public event Action<string>? VersionReported;

    /// <summary>Lets a connection created with <c>readyAtOnce: false</c> become ready.</summary>
    public void BecomeReady() => _ready.TrySetResult();

    /// <summary>Fails the readiness probe, as a CLI that cannot start: it exits 1 first.</summary>
    public void FailReadiness() => ScriptedProcess.Crash();

    public void ReportVersion(string version) => VersionReported?.Invoke(version);

    /// <summary>As a real connection's, readiness fails when the process exits first.</summary>
    public async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAny(_ready.Task, ScriptedProcess.Exited).WaitAsync(cancellationToken);
        if (!_ready.Task.IsCompleted)
        {
            throw new TurnFailedException(FailureReasons.ProcessExitBeforeOutput, "The scripted process exited before it was ready.");
        }

        ReadyTimestamp ??= ScriptedProcess.SpawnedTimestamp;
    }

    /// <summary>Where the last pre-opened session was opened.</summary>
    public string? PreopenedIn { get; private set; }

    public Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken)
    {
        Preopens++;
        PreopenedIn = workingDirectory;
        _preopened = $"preopened-{ScriptedProcess.ProcessId}";
        return Task.CompletedTask;
    }

    /// <summary>How many times the pool asked the process to close its sessions before stopping it.</summary>
    public int SessionClosings { get; private set; }

    public Task CloseSessionsAsync(CancellationToken cancellationToken)
    {
        SessionClosings++;
        return Task.CompletedTask;
    }

    public SessionOffer SessionOffer => new(SessionId, SessionWorkingDirectory,
        _preopened is { } preopened ? new HeldSession(preopened, Launch.WorkingDirectory, StartKinds.Prewarmed) : null, CanResume: true, CanOpen: true);

    /// <summary>The session steps this connection carried out, with what the turn asked for.</summary>
    public List<(SessionStep Step, SessionRequest Request)> SessionSteps { get; } = [];

    public Task<SessionOpened> OpenSessionAsync(SessionStep step, SessionRequest request, TurnContext turn, CancellationToken cancellationToken)
    {
        SessionSteps.Add((step, request));
        var opened = step switch
        {
            SessionStep.ReuseLive => new SessionOpened(SessionId, StartKinds.Live),
            SessionStep.Resume => new SessionOpened(request.ResumeSessionId, StartKinds.Resumed),
            SessionStep.TakeWaiting => new SessionOpened(Interlocked.Exchange(ref _preopened, null), StartKinds.Prewarmed),
            _ => new SessionOpened($"session-{ScriptedProcess.ProcessId}-{TurnsServed}", StartKinds.New),
        };
        SessionId = opened.SessionId;
        SessionWorkingDirectory = request.WorkingDirectory;
        turn.Clock.MarkSessionReady();
        return Task.FromResult(opened);
    }

    /// <summary>Set by a test to play a connection whose turn throws (a bug of ours, or a limit the runtime refuses).</summary>
    public Exception? TurnThrows { get; set; }

    /// <summary>Set by a test to play the agent's side of a turn (its events, its death) and say how the turn ends.</summary>
    public Func<TurnContext, ScriptedConnection, TurnOutcome>? PlayTurn { get; set; }

    /// <summary>The prompts this connection was sent, in order.</summary>
    public List<string> Prompts { get; } = [];

    public Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (TurnThrows is { } exception)
        {
            return Task.FromException<TurnOutcome>(exception);
        }

        Interlocked.Increment(ref _turnsServed);
        Prompts.Add(turn.Prompt);
        return Task.FromResult(PlayTurn?.Invoke(turn, this) ?? TurnOutcome.Succeeded("end_turn", null));
    }

    public Task CancelTurnAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Plays a turn served outside a runner (the pool tests lease and release directly).</summary>
    public void ServeTurn(string sessionId)
    {
        Interlocked.Increment(ref _turnsServed);
        SessionId = sessionId;
        SessionWorkingDirectory = Launch.WorkingDirectory;
    }

    public async ValueTask DisposeAsync()
    {
        if (StopsOnlyWhenKilled)
        {
            await ScriptedProcess.Exited;
        }

        Disposed = true;
        ScriptedProcess.Crash();
    }

    private static TaskCompletionSource CreateReady(bool readyAtOnce)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (readyAtOnce)
        {
            ready.SetResult();
        }

        return ready;
    }
}
