using Workers.Families;

namespace Workers.Pooling;

/// <summary>The lease ladder's process rungs, walked in order (<c>specs/pool.md</c>, "The lease ladder"): the
/// conversation's bound process (<c>AgentPool.BoundRung.cs</c>); a cold spawn at once where only a launch can give what
/// the turn needs (<c>AgentPool.ColdSpawnRung.cs</c>); else a ready process (<c>AgentPool.ReadyRung.cs</c>), a new one in
/// a free slot, the least recently used bound one (<c>AgentPool.LruHandOver.cs</c>), or the wait
/// (<c>AgentPool.WaitRung.cs</c>). The rungs are parts of the pool because they move processes between its states under
/// its one lock. The session a leased process then gives is chosen by <c>SessionRung.cs</c>; what the turn does when the
/// session is stale or the process dies first, by <c>ResumePolicy.cs</c> and <c>RetryBeforeOutput.cs</c>.</summary>
public sealed partial class AgentPool
{
    /// <summary>Lends a process to a turn. A cold lease returns as soon as the process is spawned: its readiness is
    /// part of the turn's <c>cli_ready</c>.</summary>
    /// <exception cref="PoolExhaustedException">Nothing became available within <c>LeaseTimeout</c>.</exception>
    /// <exception cref="NoReadyProcessException">A <see cref="LeaseRequest.ReadyOnly"/> lease found no ready process free.</exception>
    /// <exception cref="Processes.SpawnFailedException">A process had to be spawned and could not be.</exception>
    /// <exception cref="ObjectDisposedException">The pool is shutting down.</exception>
    public async Task<PoolLease> LeaseAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        HomeSetFor(request.WorkingDirectory).Target.RecordArrival(Options.Adaptive.RateWindow);
        Counters.LeaseRequested();
        string? fallback = null;

        if (request.ConversationId is { } conversation && TakeBound(conversation, request, out fallback) is { } bound)
        {
            return Leased(new PoolLease(bound, StartKinds.Warm, FromBinding: true, null));
        }

        if (_handOver is not null && request.FilesOf is { } owner)
        {
            // Held by a process on its way out (a binding let go, a retry after a crash): it gives them back when it exits.
            await WaitUntilAtRestAsync(owner, cancellationToken);
        }

        if (request.ReadyOnly)
        {
            return Leased(BringConversationIn(TakeReadyOnly(request), request));
        }

        if (NeedsLaunchForTurn(request) is { } launch)
        {
            return Leased(await SpawnForTurnAsync(launch.Request, fallback ?? launch.Reason, request.FilesOf, cancellationToken));
        }

        var lease = await TakeOrWaitAsync(request.WorkingDirectory, fallback, request.FilesOf, cancellationToken);
        if (ColdHandOverReason(lease, request) is { } reason)
        {
            GiveBackUnused(lease);
            return Leased(await SpawnForTurnAsync(new LaunchRequest(request.WorkingDirectory), fallback ?? reason, request.FilesOf,
                cancellationToken));
        }

        return Leased(BringConversationIn(lease, request));
    }

    private PoolLease Leased(PoolLease lease)
    {
        if (lease.ProcessKind == StartKinds.Warm)
        {
            Counters.WarmLease();
        }

        return lease;
    }
}
