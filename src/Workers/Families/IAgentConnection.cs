using Workers.Processes;
using Workers.Turns;

namespace Workers.Families;

/// <summary>A live agent process as its family's protocol sees it: ready it, open a session, run turns.</summary>
public interface IAgentConnection : IAsyncDisposable
{
    /// <summary>The process behind the connection.</summary>
    IAgentProcess Process { get; }

    /// <summary>Monotonic timestamp of the readiness marker, once observed; null for families that show it only during a turn.</summary>
    long? ReadyTimestamp { get; }

    /// <summary>The agent session this process holds (after its first session was opened), if any.</summary>
    string? SessionId { get; }

    /// <summary>The working directory of <see cref="SessionId"/>.</summary>
    string? SessionWorkingDirectory { get; }

    /// <summary>Raised when the agent reports its CLI version.</summary>
    event Action<string>? VersionReported;

    /// <summary>Turns this process has run.</summary>
    int TurnsServed { get; }

    /// <summary>False once the process cannot run another turn: one-shot family, exited, or broke its protocol.</summary>
    bool CanServeAnotherTurn { get; }

    /// <summary>Brings the process to ready (the family's readiness probe); completes at once for families
    /// whose readiness shows only after a prompt.</summary>
    /// <exception cref="TurnFailedException">The process exited or broke the protocol first.</exception>
    Task WaitReadyAsync(CancellationToken cancellationToken);

    /// <summary>Opens a session for <paramref name="workingDirectory"/> before any turn asks for one, so the first turn
    /// of a new conversation pays no <c>session_init</c>; called only where <see cref="FamilyTraits.PreopensSessions"/>.</summary>
    Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken);

    /// <summary>Before the process stops: frees the sessions it holds in the agent (ACP <c>session/close</c> of the live
    /// and the pre-opened session, where the agent advertised <c>close</c>), waiting for the answers until
    /// <paramref name="cancellationToken"/>. Completes at once where a session is the process itself.</summary>
    Task CloseSessionsAsync(CancellationToken cancellationToken);

    /// <summary>What the process can give a turn as its session now: the input of the session rung
    /// (<c>Pooling/Ladder/SessionRung.cs</c>). Read once the process is ready (ACP knows its resume methods only then).</summary>
    SessionOffer SessionOffer { get; }

    /// <summary>Gives the turn its session by the step the session rung chose from <see cref="SessionOffer"/>: reuse the
    /// live one, take the one held for the turn, resume, or open a new one.</summary>
    /// <exception cref="StaleSessionException">The agent rejected the session id.</exception>
    /// <exception cref="InvalidOperationException">The step is not one the offer allowed.</exception>
    Task<SessionOpened> OpenSessionAsync(SessionStep step, SessionRequest request, TurnContext turn, CancellationToken cancellationToken);

    /// <summary>Sends the prompt and decodes the agent's output into <paramref name="turn"/> until the turn ends.
    /// Process exits, protocol errors and agent-reported errors end in a failed <see cref="TurnOutcome"/>.</summary>
    Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken);

    /// <summary>Asks the agent to stop the running turn the family's way; the turn then ends as cancelled.</summary>
    Task CancelTurnAsync(CancellationToken cancellationToken);
}
