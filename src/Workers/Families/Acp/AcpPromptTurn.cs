using System.Text.Json;
using StreamJsonRpc;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>The prompt turn of ACP: one <c>session/prompt</c> whose answer ends the turn, an abort for when the output
/// breaks the protocol first, the mapping of the answer or error answer to the turn's outcome, and
/// <c>session/cancel</c>. Apart from the sessions (<see cref="AcpSessions"/>) because a turn runs on whichever session was
/// settled for it, and its state (the running turn, its abort, a cancel asked for) lives only while it runs.</summary>
internal sealed class AcpPromptTurn(AcpRpcChannel channel, Func<TurnContext, Task<TurnOutcome>> exitOutcome)
{
    private readonly Lock _lock = new();
    private TurnContext? _turn;
    private TaskCompletionSource<TurnOutcome>? _abort;
    private volatile bool _cancelRequested;

    /// <summary>The running turn, if any.</summary>
    public TurnContext? Current
    {
        get
        {
            lock (_lock)
            {
                return _turn;
            }
        }
    }

    /// <summary>True once the running turn was asked to stop.</summary>
    public bool CancelRequested => _cancelRequested;

    public async Task<TurnOutcome> RunAsync(string sessionId, TurnContext turn, CancellationToken cancellationToken)
    {
        var abort = new TaskCompletionSource<TurnOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _cancelRequested = false;
            _abort = abort;
            _turn = turn;
        }

        try
        {
            turn.Clock.MarkPromptSent();
            var prompt = channel.SendAsync("session/prompt", new
            {
                sessionId,
                prompt = new[] { new { type = "text", text = turn.Prompt } },
            });
            await Task.WhenAny(prompt, abort.Task).WaitAsync(cancellationToken);
            return await SettleAsync(turn, prompt, abort.Task);
        }
        catch (RemoteInvocationException ex)
        {
            return OutcomeOf(turn, ex);
        }
        catch (ConnectionLostException)
        {
            return await exitOutcome(turn);
        }
        finally
        {
            turn.Clock.MarkFinished();
            lock (_lock)
            {
                _turn = null;
                _abort = null;
            }
        }
    }

    /// <summary>The turn's outcome once the prompt was answered or the turn aborted (<paramref name="abort"/>). The abort
    /// wins whenever it is complete: the filter sets it while taking a line, before any later line (the prompt's answer)
    /// reaches JSON-RPC, so a complete abort always came first — whichever task <c>WhenAny</c> happens to report.</summary>
    internal static async Task<TurnOutcome> SettleAsync(TurnContext turn, Task<JsonElement> prompt, Task<TurnOutcome> abort)
    {
        await Task.WhenAny(prompt, abort);
        if (abort.IsCompleted)
        {
            _ = prompt.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            return await abort;
        }

        return OutcomeOf(turn, await prompt);
    }

    /// <summary>Ends the running turn, if any, with the outcome made for it, whether or not the prompt was answered.</summary>
    public void Abort(Func<TurnContext, TurnOutcome> outcome)
    {
        TaskCompletionSource<TurnOutcome>? abort;
        TurnContext? turn;
        lock (_lock)
        {
            abort = _abort;
            turn = _turn;
        }

        if (abort is not null && turn is not null)
        {
            abort.TrySetResult(outcome(turn));
        }
    }

    /// <summary>Asks the agent to stop the turn running in <paramref name="sessionId"/>; the prompt's answer then ends it.</summary>
    public async Task CancelAsync(string? sessionId, CancellationToken cancellationToken)
    {
        _cancelRequested = true;
        if (sessionId is not null && !channel.IsDisposed)
        {
            try
            {
                await channel.NotifyAsync("session/cancel", new { sessionId }).WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException)
            {
                // Gone: the turn ends with the exit.
            }
        }
    }

    /// <summary>The turn's outcome from the <c>session/prompt</c> answer; its usage is emitted as the turn's.</summary>
    public static TurnOutcome OutcomeOf(TurnContext turn, JsonElement result)
    {
        UsageReported? usage = null;
        if (result.Obj("usage") is { } u)
        {
            usage = new UsageReported(u.Long("inputTokens"), u.Long("outputTokens"), u.Long("cachedReadTokens"), u.Long("cachedWriteTokens"));
            turn.Emit(usage);
        }
        else if (result.Obj("_meta")?.Obj("quota")?.Obj("token_count") is { } quota)
        {
            // gemini --acp reports the prompt's tokens only under `_meta.quota.token_count`.
            usage = new UsageReported(quota.Long("input_tokens"), quota.Long("output_tokens"), null, null);
            turn.Emit(usage);
        }

        var stopReason = result.Str("stopReason");
        return stopReason switch
        {
            "cancelled" => TurnOutcome.Cancelled("The agent stopped at the producer's request.", usage),
            null => TurnOutcome.Failed(FailureReasons.ProtocolError, "session/prompt answered without a stopReason.", !turn.HasOutput, usage),
            _ => TurnOutcome.Succeeded(stopReason, usage),
        };
    }

    /// <summary>The turn's outcome from an error answer to <c>session/prompt</c>: its classified reason, else <c>agent_error</c>.</summary>
    public static TurnOutcome OutcomeOf(TurnContext turn, RemoteInvocationException error)
    {
        var reason = AcpJsonRpc.Classify(error);
        return TurnOutcome.Failed(reason == FailureReasons.Unclassified ? FailureReasons.AgentError : reason,
            $"The agent answered the prompt with error {error.ErrorCode}: {AcpJsonRpc.Describe(error)}", beforeOutput: !turn.HasOutput);
    }
}
