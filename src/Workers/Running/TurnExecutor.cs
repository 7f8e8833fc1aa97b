using Workers.Families;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Running;

/// <summary>Runs the prompt phase of a turn on a connection under the turn's limits: the first-token and turn
/// timeouts (counted from <c>leased</c>; the first-token one restarts for a retry after text), the producer's deadline and
/// cancellation. A turn that is stopped gets the family's cancel, then, if it does not end in time, its process killed.
/// While the turn runs, its process group is watched: a stopped process (SIGSTOP) is killed and the turn fails
/// <c>process_stopped</c> at once (retried on another process before output or after text only), instead of waiting out a
/// timeout.</summary>
internal sealed class TurnExecutor(TimeProvider timeProvider)
{
    /// <summary>The outcome and whether the process must be retired (it was cancelled, timed out or killed).</summary>
    public sealed record Execution(TurnOutcome Outcome, bool RetireProcess)
    {
        /// <summary>False when a killed process's turn was still not ended by its connection after the grace: its reader may
        /// yet emit into the turn, so the turn must not start over in the same event stream.</summary>
        public bool ConnectionDone { get; init; } = true;
    }

    /// <summary>With the default check interval (<see cref="PoolOptions.DefaultStoppedCheckInterval"/>).</summary>
    public Task<Execution> ExecuteAsync(IAgentConnection connection, TurnContext turn, ProfileTimeouts timeouts,
        DateTimeOffset? deadline, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, turn, timeouts, deadline, PoolOptions.DefaultStoppedCheckInterval, cancellationToken);

    /// <summary>Checks the process group for a stopped member every <c>stoppedCheckInterval</c> (<c>Pool:StoppedCheckInterval</c>).</summary>
    public async Task<Execution> ExecuteAsync(IAgentConnection connection, TurnContext turn, ProfileTimeouts timeouts,
        DateTimeOffset? deadline, TimeSpan stoppedCheckInterval, CancellationToken cancellationToken)
    {
        // The turn's limit counts from its lease; the first-token limit from the lease of the answer it waits for.
        var sinceLeased = timeProvider.GetElapsedTime(turn.Clock.Leased);
        var sinceFirstTokenWaitStart = timeProvider.GetElapsedTime(turn.Clock.FirstTokenWaitStart);
        if (deadline is { } passed && passed <= timeProvider.GetUtcNow())
        {
            // Readiness or the session took the turn past its deadline: the prompt is not sent, the process is unharmed.
            return new Execution(TurnOutcome.Failed(FailureReasons.DeadlineExceeded, DeadlinePassed(passed), beforeOutput: !turn.HasOutput),
                RetireProcess: false);
        }

        using var firstTokenTimeout = TimerDelay.CancelAfter(Remaining(timeouts.FirstToken, sinceFirstTokenWaitStart), timeProvider);
        using var turnTimeout = TimerDelay.CancelAfter(Remaining(timeouts.Turn, sinceLeased), timeProvider);
        using var deadlineTimeout = TimerDelay.CancelAfter(
            deadline is { } d ? Remaining(d - timeProvider.GetUtcNow(), TimeSpan.Zero) : Timeout.InfiniteTimeSpan, timeProvider);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, turnTimeout.Token, deadlineTimeout.Token);
        using var beforeFirstToken = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, firstTokenTimeout.Token);

        using var watching = new CancellationTokenSource();
        var running = connection.RunTurnAsync(turn, CancellationToken.None);
        var stopped = StoppedProcessWatch.UntilStoppedAsync(connection.Process, stoppedCheckInterval, timeProvider, watching.Token);
        try
        {
            await Task.WhenAny(running, turn.FirstToken, stopped).WaitAsync(beforeFirstToken.Token);
            await Task.WhenAny(running, stopped).WaitAsync(stop.Token);
            // The pool's sweep may have killed the process first: the turn then ends as an exit, which the stop explains.
            var succeeded = running.IsCompletedSuccessfully && (await running).Status == TurnStatus.Succeeded;
            if (connection.Process.WasStopped && !succeeded)
            {
                return await StoppedAsync(connection, running, turn, timeouts);
            }

            return new Execution(await running, RetireProcess: false);
        }
        catch (OperationCanceledException)
        {
            // Name the limit that fired now: stopping the turn takes time, and later limits fire meanwhile.
            var (reason, message) = cancellationToken.IsCancellationRequested
                ? (FailureReasons.Cancelled, "Cancelled by the producer.")
                : deadlineTimeout.IsCancellationRequested
                    ? (FailureReasons.DeadlineExceeded, DeadlinePassed(deadline!.Value))
                    : turnTimeout.IsCancellationRequested
                        ? (FailureReasons.TurnTimeout, $"The turn passed its limit of {timeouts.Turn} (Timeouts:Turn).")
                        : (FailureReasons.FirstTokenTimeout, $"No first token within {timeouts.FirstToken} (Timeouts:FirstToken).");
            var ended = await StopTurnAsync(connection, running, timeouts);
            if (reason == FailureReasons.Cancelled)
            {
                // The producer asked: a turn that still finished on its own keeps its real outcome.
                var outcome = ended is { Status: TurnStatus.Succeeded } ? ended : TurnOutcome.Cancelled(message);
                return new Execution(outcome, RetireProcess: ended is null);
            }

            return new Execution(TurnOutcome.Failed(reason, message, beforeOutput: !turn.HasOutput), RetireProcess: true);
        }
        finally
        {
            await watching.CancelAsync();
        }
    }

    /// <summary>The turn of a process killed because it was stopped: its reader is given a moment to see the exit, so the
    /// events it decoded are all emitted before the outcome.</summary>
    private async Task<Execution> StoppedAsync(IAgentConnection connection, Task<TurnOutcome> running, TurnContext turn, ProfileTimeouts timeouts)
    {
        await WaitQuietlyAsync(running, timeouts.Cancel);
        var message = $"A process of agent process {connection.Process.ProcessId}'s group was stopped (SIGSTOP or a tracer); the group was killed.";
        return new Execution(TurnOutcome.Failed(FailureReasons.ProcessStopped, message, beforeOutput: !turn.HasOutput), RetireProcess: true)
        {
            ConnectionDone = running.IsCompleted,
        };
    }
    /// <summary>Cancels the family's way; kills the process when the agent does not end the turn in time.</summary>
    private async Task<TurnOutcome?> StopTurnAsync(IAgentConnection connection, Task<TurnOutcome> running, ProfileTimeouts timeouts)
    {
        using var cancelTimeout = TimerDelay.CancelAfter(timeouts.Cancel, timeProvider);
        try
        {
            await connection.CancelTurnAsync(cancelTimeout.Token);
            return await running.WaitAsync(cancelTimeout.Token);
        }
        catch (OperationCanceledException)
        {
            await connection.Process.KillAsync();
            await WaitQuietlyAsync(running, TimeSpan.FromSeconds(5));
            return null;
        }
    }

    private async Task WaitQuietlyAsync(Task<TurnOutcome> running, TimeSpan grace)
    {
        try
        {
            await running.WaitAsync(TimerDelay.Clamp(grace), timeProvider);
        }
        catch (TimeoutException)
        {
            // The turn's reader is stuck on a process we killed; its outcome no longer matters.
        }
    }

    private static string DeadlinePassed(DateTimeOffset deadline) => $"The turn passed its deadline {deadline:O}.";

    private static TimeSpan Remaining(TimeSpan limit, TimeSpan spent)
    {
        var remaining = limit - spent;
        return remaining > TimeSpan.FromMilliseconds(1) ? remaining : TimeSpan.FromMilliseconds(1);
    }
}
