using System.Text.Json;
using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Families;

/// <summary>The common part of the families that speak their own line protocol on stdio (Claude stream-json,
/// json-event-stream, plain): the family writes the prompt and decodes each stdout record in order, and the end of the
/// output ends a running turn with a named reason. (The bookkeeping and the read of stdout are
/// <see cref="AgentConnection"/>'s, shared with ACP.)</summary>
internal abstract partial class StdioConnection : AgentConnection
{
    private readonly Lock _lock = new();
    private TurnState? _turn;

    /// <summary>The family's constructor calls <see cref="AgentConnection.StartReadingOutput"/> last, once its own fields
    /// are set: a process that dies at once has its end handled by a whole connection.</summary>
    protected StdioConnection(AgentProcess process, ResolvedProfile profile, TimeProvider timeProvider, ILogger logger)
        : base(process, profile, timeProvider, logger)
    {
    }

    /// <summary>True when the output has ended (the process is gone or closed stdout).</summary>
    protected bool OutputEnded { get; private set; }

    /// <summary>The running turn, if any.</summary>
    protected sealed override TurnContext? ActiveTurn
    {
        get
        {
            lock (_lock)
            {
                return _turn?.Context;
            }
        }
    }

    /// <summary>These families hold one session fixed at launch: there is nothing to open ahead of a turn.</summary>
    public sealed override Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The session fixed at launch, as launched: its id (preset or resumed; null where the agent names it only once
    /// the turn runs, or has no sessions), directory and kind. The first turn takes it.</summary>
    protected abstract HeldSession LaunchSession { get; }

    /// <summary>The session the launch resumed, when the agent's stderr says it does not know it: a stale resume.</summary>
    protected string? StaleLaunchResume() =>
        LaunchSession is { Kind: StartKinds.Resumed, SessionId: { } resumed } && StaleSessionPatterns.IsStale(Process.Stderr.Read())
            ? resumed
            : null;

    /// <summary>False for CLIs without sessions: the transcript carries the conversation.</summary>
    protected virtual bool HasSessions => true;

    /// <summary>The session fixed at launch waits for the first turn; after it, that session is live. Nothing else can be
    /// opened or resumed on the process.</summary>
    public sealed override SessionOffer SessionOffer => TurnsServed == 0
        ? new SessionOffer(null, null, LaunchSession, CanResume: false, CanOpen: false, HasSessions)
        : new SessionOffer(SessionId, SessionWorkingDirectory, null, CanResume: false, CanOpen: false, HasSessions);

    public sealed override Task<SessionOpened> OpenSessionAsync(SessionStep step, SessionRequest request, TurnContext turn,
        CancellationToken cancellationToken) => step switch
    {
        SessionStep.TakeWaiting when TurnsServed == 0 => Task.FromResult(new SessionOpened(SessionId, LaunchSession.Kind)),
        SessionStep.ReuseLive when TurnsServed > 0 => Task.FromResult(new SessionOpened(SessionId, StartKinds.Live)),
        _ => throw StepNotOffered(step, request),
    };

    public sealed override async Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
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

        CountTurn();
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

    protected sealed override ValueTask OnObjectAsync(JsonElement message, ReadOnlyMemory<byte> utf8)
    {
        OnMessage(message);
        return ValueTask.CompletedTask;
    }

    /// <summary>The output ended while a turn ran: the family may recognise a stale session from stderr, or an
    /// exit that still completes a one-shot turn.</summary>
    protected virtual TurnOutcome OutcomeOnExit(TurnContext turn, AgentExit? exit) =>
        StaleLaunchResume() is { } resumed
            ? TurnOutcome.Failed(FailureReasons.StaleResume, $"The agent does not know session {resumed}. {StderrSummary()}", beforeOutput: true)
            : ExitOutcome(turn, exit);

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

    protected sealed override void EndActiveTurn(Func<TurnContext, TurnOutcome> outcome)
    {
        var turn = ActiveTurn;
        if (turn is not null)
        {
            CompleteTurn(outcome(turn));
        }
    }

    protected sealed override async ValueTask OnOutputEndedAsync()
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

    private sealed class TurnState(TurnContext context)
    {
        public TurnContext Context { get; } = context;

        public TaskCompletionSource<TurnOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
