using Workers.Families;
using Workers.Processes;
using Workers.Turns;

namespace Workers.MicroBenchmarks.Pooling;

/// <summary>A connection that is ready at once and serves no turn: the pool's lease and release read only its process,
/// readiness and turn count, so nothing else of a family is played. (The unit tests' <c>ScriptedConnection</c> plays sessions
/// and turns for the pool's tests and lives in a test assembly; referencing it would bring xunit and a test host into a
/// console program.)</summary>
internal sealed class InstantConnection(int processId) : IAgentConnection
{
    private readonly IdleProcess _process = new(processId);

    public IAgentProcess Process => _process;

    public long? ReadyTimestamp { get; private set; }

    public string? SessionId => null;

    public string? SessionWorkingDirectory => null;

    public int TurnsServed => 0;

    public bool CanServeAnotherTurn => !_process.HasExited;

    public SessionOffer SessionOffer => new(null, null, null, CanResume: false, CanOpen: true);

    public event Action<string>? VersionReported
    {
        add { }
        remove { }
    }

    public Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        ReadyTimestamp ??= _process.SpawnedTimestamp;
        return Task.CompletedTask;
    }

    public Task PreopenSessionAsync(string workingDirectory, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CloseSessionsAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<SessionOpened> OpenSessionAsync(SessionStep step, SessionRequest request, TurnContext turn,
        CancellationToken cancellationToken) =>
        throw new NotSupportedException("The pool benchmark leases and releases; it runs no turn.");

    public Task<TurnOutcome> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The pool benchmark leases and releases; it runs no turn.");

    public Task CancelTurnAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync() => await _process.KillAsync();
}
