using Workers.Turns;

namespace Workers.Pooling;

/// <summary>Rung 1: the conversation's bound process, taken only while its live session still matches the turn (same
/// settings digest, working directory and session); a binding that no longer matches is let go and the turn says why.</summary>
public sealed partial class AgentPool
{
    private PooledProcess? TakeBound(string conversation, LeaseRequest request, out string? fallback)
    {
        fallback = null;
        PooledProcess? process;
        lock (_lock)
        {
            if (!_bound.TryGetValue(conversation, out process))
            {
                return null;
            }
        }

        // A look at /proc for every process of its group: outside the lock. A binding retired meanwhile is simply gone.
        var usable = process.IsUsable;
        lock (_lock)
        {
            if (!_bound.TryGetValue(conversation, out var still) || !ReferenceEquals(still, process))
            {
                return null;
            }

            _bound.Remove(conversation);
            var matches = process.Digest == request.Digest
                && process.Connection.SessionWorkingDirectory == request.WorkingDirectory
                && (request.ResumeSessionId is null || request.ResumeSessionId == process.Connection.SessionId);
            if (matches && process.State == PoolProcessState.Bound && usable)
            {
                process.State = PoolProcessState.Leased;
                return process;
            }

            fallback = matches ? FallbackReasons.BoundProcessGone : FallbackReasons.BoundSessionMismatch;
        }

        Retire(process, usable ? RetireReason.Forgotten
            : process.Connection.Process.KillIfStopped(Options.StoppedCheckInterval) ? RetireReason.Killed
            : RetireReason.Crashed);
        return null;
    }
}
