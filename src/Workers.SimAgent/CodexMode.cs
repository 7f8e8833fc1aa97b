namespace Workers.SimAgent;

/// <summary>
/// <c>codex exec --json</c>: one turn per process. The prompt is read to stdin EOF before anything is printed, then the
/// thread and turn events follow and the process exits (0, or 1 when the turn failed).
/// </summary>
internal static class CodexMode
{
    public static async Task<int> RunAsync(SimSettings settings, IReadOnlyList<string> cliArgs)
    {
        if (CodexArgs.Parse(cliArgs) is not { } args)
        {
            Diagnostics.Note("codex mode simulates only `codex exec`: the first argument must be exec");
            return 2;
        }

        if (!args.Json)
        {
            Diagnostics.Note("codex mode simulates only the JSONL event stream: pass --json (or --experimental-json)");
            return 2;
        }

        await Startup.RunAsync(settings);
        var prompt = args.Prompt ?? (await StdinLines.ReadToEndAsync()).TrimEnd('\r', '\n');
        var store = new SessionStore(settings.SessionDir);
        if (OpenThread(settings, args, store, out var initMs) is not { } thread)
        {
            return 1;
        }

        var writer = ProtocolWriter.ForStdout();
        writer.WriteLine(CodexEvents.ThreadStarted(thread.Id));
        var plan = TurnPlan.Create(settings, prompt);
        await SimDelay.MsAsync(initMs, CancellationToken.None);
        await StageGate.PassAsync(plan.Faults, FaultStage.SessionInit);
        writer.WriteLine(CodexEvents.TurnStarted());

        var priorContext = thread.ContextTokens;
        TurnStderr.Write(plan.Faults);
        await GroupChild.RelayAsync(CancellationToken.None);
        await SimDelay.MsAsync(plan.FirstTokenDelayMs(priorContext), CancellationToken.None);
        if (plan.Faults.ModelError is { } error)
        {
            // Codex retries quietly (nothing on the JSON stream) before it gives up.
            await SimDelay.MsAsync((plan.Faults.ApiRetries ?? 0) * plan.ApiRetryDelayMs, CancellationToken.None);
            var message = error switch
            {
                ModelErrorKind.Auth => "unexpected status 401 Unauthorized: Missing bearer or basic authentication in header",
                ModelErrorKind.RateLimit => "unexpected status 429 Too Many Requests: Rate limit reached for requests",
                _ => "unexpected status 500 Internal Server Error: An error occurred while processing your request.",
            };
            writer.WriteLine(CodexEvents.Error(message));
            writer.WriteLine(CodexEvents.TurnFailed(message));
            return 1;
        }

        await StageGate.PassAsync(plan.Faults, FaultStage.BeforeFirstToken);
        var items = 0;
        string NextItemId() => $"item_{items++}";
        if (plan.Faults.Has(FaultKind.Permission))
        {
            // exec never prompts (its approval policy is "never"), so a command that needs approval is declined outright.
            var id = NextItemId();
            const string command = "bash -lc 'echo sim > sim.txt'";
            writer.WriteLine(CodexEvents.ItemStarted(CodexEvents.CommandExecution(id, command, "in_progress")));
            writer.WriteLine(CodexEvents.ItemCompleted(CodexEvents.CommandExecution(id, command, "declined")));
        }

        string? reasoningId = null;
        PreTokenFaults.Emit(
            writer,
            plan.Faults,
            filler => CodexEvents.ItemCompleted(CodexEvents.Reasoning(reasoningId ??= NextItemId(), filler)),
            text => CodexEvents.ItemCompleted(CodexEvents.AgentMessage(NextItemId(), text)));

        // exec --json does not stream deltas: the whole generation time passes, then the message arrives complete.
        var tokens = plan.ReplyTokens();
        await TokenPacer.RunAsync(plan, tokens, (_, _) => { }, CancellationToken.None, intervalBeforeFirst: true);
        var text = string.Concat(tokens);
        if (!args.Ephemeral)
        {
            thread.AddTurn(prompt, text);
            store.Save(thread);
        }

        writer.WriteLine(CodexEvents.ItemCompleted(CodexEvents.AgentMessage(NextItemId(), text)));
        writer.WriteLine(CodexEvents.TurnCompleted(priorContext + plan.PromptTokens, priorContext, tokens.Length));

        // ignore-eof here means "does not exit when done" (compare real codex lingering after its answer).
        if (settings.Faults.Has(FaultKind.IgnoreEof))
        {
            await SimDelay.ForeverAsync();
        }

        return plan.Faults.ExitCode ?? 0;
    }

    /// <returns>The thread to run the turn on, or null after reporting on stderr why there is none.</returns>
    private static StoredSession? OpenThread(SimSettings settings, CodexArgs args, SessionStore store, out double initMs)
    {
        if (!args.Resume)
        {
            initMs = settings.SessionNewMs;
            var id = Guid.CreateVersion7(TimeProvider.System.GetUtcNow()).ToString();
            return args.Ephemeral ? new StoredSession(id, Environment.CurrentDirectory) : store.Create(id, Environment.CurrentDirectory);
        }

        initMs = settings.SessionLoadMs;
        var wanted = !args.ResumeLast ? args.ResumeId : store.List() is [var (latest, _), ..] ? latest.Id : null;
        var thread = wanted is null || settings.Faults.Has(FaultKind.UnknownSession) ? null : store.TryLoad(wanted);
        if (thread is null)
        {
            Diagnostics.Raw(wanted is null ? "Error: no rollout found to resume" : $"Error: no rollout found for thread id {wanted}");
        }

        return thread;
    }
}
