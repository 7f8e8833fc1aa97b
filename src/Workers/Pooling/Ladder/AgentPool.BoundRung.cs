using Workers.Turns;

namespace Workers.Pooling;

/// <summary>Rung 1: the conversation's bound process, taken only while its live session still matches the turn (same
/// settings digest, working directory and session); a binding that no longer matches is let go and the turn says why.</summary>
public sealed partial class AgentPool
{
    private PooledProcess? TakeBound(string conversation, LeaseRequest request, out string? fallback)
    {
        PooledProcess? process;
        lock (_lock)
        {
            if (!_bound.Remove(conversation, out process))
            {
                fallback = null;
                return null;
            }

            var matches = process.Digest == request.Digest
                && process.Connection.SessionWorkingDirectory == request.WorkingDirectory
                && (request.ResumeSessionId is null || request.ResumeSessionId == process.Connection.SessionId);
            if (matches && process.State == PoolProcessState.Bound && process.IsUsable)
            {
                process.State = PoolProcessState.Leased;
                fallback = null;
                return process;
            }

            fallback = matches ? FallbackReasons.BoundProcessGone : FallbackReasons.BoundSessionMismatch;
        }

        Retire(process, process.IsUsable ? RetireReason.Forgotten : RetireReason.Crashed);
        return null;
    }
}
