using System.Threading.Channels;

namespace Workers.SimAgent;

/// <summary>
/// Claude Code in <c>-p --input-format stream-json --output-format stream-json --verbose</c> mode: one long-lived process,
/// one session, a turn per <c>user</c> line, turns run one at a time in arrival order.
/// </summary>
internal static class ClaudeMode
{
    public static async Task<int> RunAsync(SimSettings settings, IReadOnlyList<string> cliArgs)
    {
        var args = ClaudeArgs.Parse(cliArgs);
        if (args.Problem() is var (message, exitCode))
        {
            Diagnostics.Raw(message);
            return exitCode;
        }

        await Startup.RunAsync(settings);
        var store = new SessionStore(settings.SessionDir);
        if (OpenSession(settings, args, store, out var initMs) is not { } session)
        {
            return 1;
        }

        // Session-init work starts in the background right after start-up, so a pre-warmed process that sat idle long
        // enough has already paid for it when its first turn arrives.
        var sessionInit = SimDelay.MsAsync(initMs, CancellationToken.None);
        var context = new ClaudeContext(args, store, session, ProtocolWriter.ForStdout(), sessionInit);
        var prompts = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var turns = new CancellationSet();
        var input = new ClaudeInput(context, prompts.Writer, turns);
        StdinLines.Start(input.OnLine, input.OnEnd);

        var isFirst = true;
        await foreach (var prompt in prompts.Reader.ReadAllAsync())
        {
            var plan = TurnPlan.Create(settings, prompt);
            var turn = turns.Begin();
            int? forcedExit;
            try
            {
                forcedExit = await new ClaudeTurn(context, plan, isFirst).RunAsync(turn.Token);
            }
            finally
            {
                turns.End(turn);
            }

            isFirst = false;
            if ((forcedExit ?? plan.Faults.ExitCode) is { } code)
            {
                return code;
            }
        }

        // Stdin EOF: the queued turns are done. Real Claude Code exits now; ignore-eof models an agent that does not.
        if (settings.Faults.Has(FaultKind.IgnoreEof))
        {
            await SimDelay.ForeverAsync();
        }

        return 0;
    }

    /// <returns>The session to serve, or null after reporting on stderr why there is none (the CLI then exits 1).</returns>
    private static StoredSession? OpenSession(SimSettings settings, ClaudeArgs args, SessionStore store, out double initMs)
    {
        if (args.Resume is { } resumeId)
        {
            initMs = settings.SessionLoadMs;
            var loaded = settings.Faults.Has(FaultKind.UnknownSession) ? null : store.TryLoad(resumeId);
            if (loaded is null)
            {
                Diagnostics.Raw($"No conversation found with session ID: {resumeId}");
            }

            return loaded;
        }

        initMs = settings.SessionNewMs;
        if (args.SessionId is { } wanted)
        {
            if (!Guid.TryParse(wanted, out _))
            {
                Diagnostics.Raw("Error: Invalid session ID. Must be a valid UUID.");
                return null;
            }

            if (store.Exists(wanted))
            {
                Diagnostics.Raw($"Error: Session ID {wanted} is already in use.");
                return null;
            }
        }

        return store.Create(args.SessionId ?? Guid.NewGuid().ToString(), Environment.CurrentDirectory);
    }
}
