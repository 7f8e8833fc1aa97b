using System.Collections.Concurrent;
using Workers.Families;
using Workers.Profiles;
using Workers.Running;
using Workers.Turns;

namespace Workers.Benchmarks;

/// <summary>What an SDK streaming client does: one process per conversation, launched on the conversation's first turn
/// and kept alive for the next ones, with no pool and nothing started ahead. The first turn pays the start and a new
/// session; later turns reuse the live session. Same launcher and protocol code as the pool, so the difference is only
/// when the process is started.</summary>
internal sealed class KeptAliveRunner(ProfileCatalog profiles, IAgentLauncher launcher, TimeProvider timeProvider) : IAsyncDisposable
{
    private readonly TurnAttempt _attempt = new(timeProvider);
    private readonly ConcurrentDictionary<string, IAgentConnection> _conversations = new();

    public async Task<TurnResult> RunAsync(TurnRequest request, CancellationToken cancellationToken)
    {
        var clock = new TurnClock(timeProvider, request.EnqueuedAt);
        var sink = new NullSink();
        if (TurnRecords.Validate(request, profiles, out var profile, out var workingDirectory) is { } rejection)
        {
            return TurnRecords.Rejected(request, clock, sink, profile?.Family ?? "", rejection);
        }

        clock.MarkLeased();
        var turn = new TurnContext(request.Id, request.Prompt, workingDirectory, clock, sink, profile!.Options.Permissions);
        var processKind = StartKinds.Warm;
        var conversation = request.ConversationId ?? request.Id;
        if (!_conversations.TryGetValue(conversation, out var connection))
        {
            connection = launcher.Launch(profile, new LaunchRequest(workingDirectory));
            clock.MarkSpawned(connection.Process.SpawnedTimestamp);
            _conversations[conversation] = connection;
            processKind = StartKinds.Cold;
        }

        // Continued turns ask for the session the process holds live; a first turn asks for none and takes the one the
        // launch opened (Claude's is fixed at launch, before any turn).
        var liveSession = connection.TurnsServed > 0 ? connection.SessionId : null;
        var result = await _attempt.RunAsync(connection, profile, turn, request, liveSession, processKind, cancellationToken);
        return TurnRecords.Finish(request, profile, turn, result, processKind, fallback: null, attempts: 1, connection.Process.ProcessId);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _conversations.Values)
        {
            await connection.DisposeAsync();
        }

        _conversations.Clear();
    }
}
