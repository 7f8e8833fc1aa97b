using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Isolation;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>An ACP agent process (<c>specs/families.md</c>). Readiness is the <c>initialize</c> answer; sessions are
/// opened, resumed or loaded per turn as the profile and the agent's capabilities allow (<see cref="AcpSessions"/>); a
/// turn is one <c>session/prompt</c> whose <c>session/update</c>s are its events (<see cref="AcpPromptTurn"/>). Stdout
/// passes through the shared <see cref="StdoutFilter"/> and then here, before StreamJsonRpc sees it
/// (<see cref="AcpRpcChannel"/>).</summary>
internal sealed partial class AcpConnection : AgentConnection
{
    private readonly Lock _lock = new();
    private readonly AcpRpcChannel _rpc;
    private readonly AcpSessions _sessions;
    private readonly AcpPromptTurn _prompt;
    private readonly ProcessSlot? _slot;
    private Task? _initialize;

    /// <summary>Attaches to a started agent process.</summary>
    /// <param name="process">The agent.</param>
    /// <param name="profile">Its profile.</param>
    /// <param name="slot">In conversation isolation, the process's sandbox directories: an <c>fs/*</c> path the agent names under
    /// <c>/conversation</c> is answered from there.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The log.</param>
    internal AcpConnection(AgentProcess process, ResolvedProfile profile, ProcessSlot? slot, TimeProvider timeProvider, ILogger logger)
        : base(process, profile, timeProvider, logger)
    {
        _slot = slot;
        _rpc = new AcpRpcChannel(process, new AcpClientTarget(this), logger);
        _sessions = new AcpSessions(_rpc, profile.Options, MarkBroken);
        _prompt = new AcpPromptTurn(_rpc, ExitOutcomeAsync);
        StartReadingOutput();
    }

    public override bool CanServeAnotherTurn => !IsBroken && !Process.HasExited && _rpc.IsOpen;

    protected override TurnContext? ActiveTurn => _prompt.Current;

    public override Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _initialize ??= InitializeAsync();
        }

        return _initialize.WaitAsync(cancellationToken);
    }

    private async Task InitializeAsync()
    {
        var answer = await _sessions.InitializeAsync();
        ReadyTimestamp = TimeProvider.GetTimestamp();
        var capabilities = _sessions.AcceptInitialize(answer);
        if (capabilities.AgentVersion is { } agentVersion)
        {
            ReportVersion(capabilities.AgentName is { } name ? $"{name} {agentVersion}" : agentVersion);
        }
    }

    public override async Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken)
    {
        await WaitReadyAsync(cancellationToken);
        await _sessions.PreopenAsync(workingDirectory, cancellationToken);
    }

    public override Task CloseSessionsAsync(CancellationToken cancellationToken) =>
        _sessions.Capabilities is null ? Task.CompletedTask : _sessions.CloseAllAsync(SessionId, cancellationToken);

    /// <summary>A live process can resume (as <c>Resume</c> and the agent's capabilities allow) and open sessions; the
    /// pre-opened one waits for a turn without a session; the last turn's session stays live until another replaces it.</summary>
    /// <exception cref="InvalidOperationException">The process is not ready yet: what it can resume is known only from its
    /// <c>initialize</c> answer, and a guess would turn a resume into a new session without a word.</exception>
    public override SessionOffer SessionOffer => _sessions.Capabilities is null
        ? throw new InvalidOperationException($"Agent process {Process.ProcessId} is asked for a session before it is ready.")
        : new SessionOffer(SessionId, SessionWorkingDirectory, _sessions.Preopened, _sessions.CanResume, CanOpen: true);

    /// <summary>Carries out the session rung's step; every step ends in <c>session_ready</c> (the answer, or at once).</summary>
    public override async Task<SessionOpened> OpenSessionAsync(SessionStep step, SessionRequest request, TurnContext turn,
        CancellationToken cancellationToken)
    {
        var directory = request.WorkingDirectory;
        SessionOpened opened;
        switch (step)
        {
            case SessionStep.ReuseLive when SessionId is { } live:
                opened = new SessionOpened(live, StartKinds.Live);
                break;
            case SessionStep.TakeWaiting:
                opened = new SessionOpened(_sessions.TakePreopened(directory) ?? throw StepNotOffered(step, request), StartKinds.Prewarmed);
                break;
            case SessionStep.Resume when request.ResumeSessionId is { } resumeId:
                if (!await _sessions.TryResumeAsync(resumeId, directory, cancellationToken))
                {
                    throw StepNotOffered(step, request);
                }

                opened = new SessionOpened(resumeId, StartKinds.Resumed);
                break;
            case SessionStep.OpenNew:
                opened = new SessionOpened(await _sessions.OpenNewAsync(directory, cancellationToken), StartKinds.New);
                break;
            default:
                throw StepNotOffered(step, request);
        }

        turn.Clock.MarkSessionReady();
        Hold(opened.SessionId!, directory);
        return opened;
    }

    /// <summary>The process now holds <paramref name="sessionId"/>; the session it held before changes hands, so it is
    /// freed in the agent.</summary>
    private void Hold(string sessionId, string workingDirectory)
    {
        var previous = SessionId;
        SessionId = sessionId;
        SessionWorkingDirectory = workingDirectory;
        if (previous is not null && previous != sessionId)
        {
            _sessions.Close(previous);
        }
    }

    public override async Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (SessionId is not { } sessionId)
        {
            throw new InvalidOperationException("OpenSessionAsync must run before RunTurnAsync.");
        }

        CountTurn();
        ForgetToolCalls();
        return await _prompt.RunAsync(sessionId, turn, cancellationToken);
    }

    public override Task CancelTurnAsync(CancellationToken cancellationToken) => _prompt.CancelAsync(SessionId, cancellationToken);

    private async Task<TurnOutcome> ExitOutcomeAsync(TurnContext turn) =>
        ExitOutcome(turn, await Process.WaitForExitAsync(TimeSpan.FromSeconds(2)));

    /// <summary>A <c>session/update</c> notification is handled here, in stdout order, instead of through StreamJsonRpc:
    /// its handlers run on pool threads, so under load the prompt's answer could be seen before the last updates that the
    /// agent wrote ahead of it, cutting the end off the turn's text. Handled here, every update is done before the answer
    /// that follows it even reaches the JSON-RPC reader. Every other message goes on to it (but a response only when it
    /// answers a request of ours still waiting: <see cref="AcpRpcChannel.ForwardAsync"/>).</summary>
    protected override ValueTask OnObjectAsync(JsonElement message, ReadOnlyMemory<byte> utf8)
    {
        if (message.Is("method", "session/update") && !message.TryGetProperty("id", out _))
        {
            OnSessionUpdate(message.Prop("params") ?? default);
            return ValueTask.CompletedTask;
        }

        return _rpc.ForwardAsync(message, utf8);
    }

    /// <summary>A message StreamJsonRpc could not read would end its connection: it is skipped like an unparsable line.</summary>
    protected override string? Unacceptable(JsonElement message) => AcpEnvelope.Problem(message);

    protected override void EndActiveTurn(Func<TurnContext, TurnOutcome> outcome) => _prompt.Abort(outcome);

    protected override ValueTask OnOutputEndedAsync() => _rpc.CompleteInboundAsync();

    /// <summary>Disposing the JSON-RPC connection closes the agent's stdin; agents that ignore EOF (claude-agent-acp,
    /// codex-acp) get SIGTERM, then SIGKILL, from the stop that follows.</summary>
    protected override void OnDisposing() => _rpc.Dispose();
}
