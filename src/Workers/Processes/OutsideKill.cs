namespace Workers.Processes;

/// <summary>Whether an agent process was killed from outside the service (an operator, the OOM killer, a chaos test) rather
/// than failing on its own: it died of SIGKILL or SIGTERM that Workers did not send, or it was found stopped (SIGSTOP) and
/// killed for that. Such a death says nothing about the CLI, so it feeds neither the start backoff (<c>start_killed</c>) nor
/// a turn's <c>Pool:MaxAttempts</c> (<c>Pool:RetriesAfterKill</c>).</summary>
public static class OutsideKill
{
    /// <summary>True when <paramref name="exit"/> of <paramref name="process"/> was an outside kill.</summary>
    public static bool Applies(IAgentProcess process, AgentExit exit) =>
        process.WasStopped || (!process.SignalledByWorkers && exit.Signal is ProcessGroup.SigKill or ProcessGroup.SigTerm);

    /// <summary>True when the process has already exited and that exit was an outside kill; false while it runs.</summary>
    public static bool Ended(IAgentProcess process) =>
        process.WasStopped || (process.Exited.IsCompletedSuccessfully && Applies(process, process.Exited.Result));
}
