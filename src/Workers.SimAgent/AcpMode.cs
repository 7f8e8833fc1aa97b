namespace Workers.SimAgent;

/// <summary>
/// An ACP v1 agent over stdio (newline-delimited JSON-RPC 2.0), long-lived, any number of sessions. Extra argv (such as
/// <c>--acp</c>) is accepted and ignored, since each real agent has its own way of being started in ACP mode.
/// </summary>
internal static class AcpMode
{
    public static async Task<int> RunAsync(SimSettings settings, IReadOnlyList<string> cliArgs)
    {
        await Startup.RunAsync(settings);
        var agent = new AcpAgent(settings, new AcpConnection(ProtocolWriter.ForStdout()), new SessionStore(settings.SessionDir));
        var endOfInput = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StdinLines.Start(agent.OnLine, () => endOfInput.TrySetResult());
        await endOfInput.Task;

        // Stdin EOF ends the connection; ignore-eof models claude-agent-acp and codex-acp, which were seen to keep running.
        if (settings.Faults.Has(FaultKind.IgnoreEof))
        {
            await SimDelay.ForeverAsync();
        }

        return 0;
    }
}
