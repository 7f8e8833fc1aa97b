using Microsoft.Extensions.Logging;
using Workers.Isolation;
using Workers.Logging;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Processes;
using Workers.Store;

namespace Workers.Maintenance;

/// <summary>Why a conversation's files were removed: the <c>cause</c> label of <c>workers_conversation_files_removed_total</c>.</summary>
public enum FileRemovalCause
{
    /// <summary><c>DELETE /v1/conversations/{id}</c>.</summary>
    Delete,

    /// <summary>Retention deleted the conversation's last turn.</summary>
    Retention,

    /// <summary>The file sweep found a directory no conversation of the store owns.</summary>
    Orphan,
}

/// <summary>What removing one conversation's files did, per profile in conversation isolation.</summary>
/// <param name="Removed">Profiles where the conversation's files are gone (or there were none).</param>
/// <param name="StillHeld">Profiles where a process still held them when the profile's <c>Pool:LeaseTimeout</c> ran out: a turn of
/// the conversation was running, or its process did not exit in time. Nothing of those profiles was deleted.</param>
/// <param name="Failed">Profiles where they could not be removed, with why (a rename refused, a holder that could not give them
/// back).</param>
public sealed record ConversationFilesRemoval(IReadOnlyList<string> Removed, IReadOnlyList<string> StillHeld,
    IReadOnlyDictionary<string, string> Failed)
{
    /// <summary>True when no file of the conversation remains at rest or in a slot.</summary>
    public bool Complete => StillHeld.Count == 0 && Failed.Count == 0;
}

/// <summary>Removes a conversation's files (its HOME and its Workers-owned workspace) in every profile in conversation isolation
/// (<c>specs/maintenance.md</c>, "Conversation files"): its bound process is retired, whose exit puts them back at rest, then they
/// are moved to the trash and deleted. Profiles in profile isolation are one trust domain whose HOME and workspace every
/// conversation shares: nothing of theirs is touched.</summary>
public sealed partial class ConversationFileCleanup(PoolRegistry pools, ITurnStore store, WorkerMetrics metrics, TimeProvider timeProvider,
    ILogger<ConversationFileCleanup> logger)
{
    /// <summary>While a turn of the conversation runs, how often its process is looked at again: when the turn ends the process
    /// becomes bound, and is retired at the next look.</summary>
    internal static readonly TimeSpan RunningTurnRecheck = TimeSpan.FromMilliseconds(100);

    /// <summary>Removes the conversation's files; waits, per profile, at most its <c>Pool:LeaseTimeout</c> for the process that
    /// holds them to give them back. Returns when every profile is done; never throws for one profile's failure.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async Task<ConversationFilesRemoval> RemoveAsync(string conversationId, FileRemovalCause cause, CancellationToken cancellationToken)
    {
        var isolated = pools.All.Where(p => p.HandOver is not null).ToList();
        var outcomes = await Task.WhenAll(isolated.Select(pool => RemoveFromAsync(pool, conversationId, cause, cancellationToken)));
        var removed = new List<string>();
        var held = new List<string>();
        var failed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (profile, outcome, error) in outcomes)
        {
            switch (outcome)
            {
                case PoolOutcome.Removed:
                    removed.Add(profile);
                    break;
                case PoolOutcome.Held:
                    held.Add(profile);
                    break;
                default:
                    failed[profile] = error!;
                    break;
            }
        }

        return new ConversationFilesRemoval(removed, held, failed);
    }

    private async Task<(string Profile, PoolOutcome Outcome, string? Error)> RemoveFromAsync(AgentPool pool, string conversationId,
        FileRemovalCause cause, CancellationToken cancellationToken)
    {
        var handOver = pool.HandOver!;
        var limit = pool.Options.LeaseTimeout;
        using var timeout = TimerDelay.CancelAfter(limit, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WaitReleasedAsync(pool, handOver, conversationId, linked.Token);
            if (await handOver.DeleteAsync(conversationId, linked.Token) is var directories and > 0)
            {
                metrics.ConversationFilesRemoved.WithLabels(pool.Name, Label(cause)).Inc(directories);
                Log.Removed(logger, pool.Name, ConversationFiles.KeyOf(conversationId), Label(cause));
            }

            return (pool.Name, PoolOutcome.Removed, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.StillHeld(logger, pool.Name, ConversationFiles.KeyOf(conversationId), limit);
            return (pool.Name, PoolOutcome.Held, null);
        }
        catch (Exception ex) when (ex is ConversationStateUnavailableException or IOException or UnauthorizedAccessException)
        {
            Log.Failed(logger, pool.Name, ConversationFiles.KeyOf(conversationId), ex);
            return (pool.Name, PoolOutcome.Failed, ex.Message);
        }
    }

    /// <summary>Retires the conversation's bound process and waits until its files are at rest. A turn of the conversation that
    /// runs now keeps its process to the end (it is not cancelled); its process is bound when the turn ends, and retired then.
    /// A turn counts from its claim: one claimed but not yet given a process holds no files yet, and would make them after a
    /// deletion that looked only at the slots.</summary>
    private async Task WaitReleasedAsync(AgentPool pool, ConversationHandOver handOver, string conversationId, CancellationToken cancellationToken)
    {
        while (true)
        {
            pool.ForgetConversation(conversationId);
            if (!handOver.IsHeld(conversationId))
            {
                if (!await HasRunningTurnAsync(conversationId, cancellationToken))
                {
                    return;
                }

                // Claimed, not yet given a process: it will hold the files soon.
                await Task.Delay(RunningTurnRecheck, timeProvider, cancellationToken);
                continue;
            }

            using var recheck = TimerDelay.CancelAfter(RunningTurnRecheck, timeProvider);
            using var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, recheck.Token);
            try
            {
                await handOver.WaitAtRestAsync(conversationId, step.Token);
            }
            catch (OperationCanceledException) when (recheck.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Still held: a running turn (its process is bound, and retired above, only when it ends), or a process still
                // exiting. Look again.
            }
        }
    }

    private async Task<bool> HasRunningTurnAsync(string conversationId, CancellationToken cancellationToken) =>
        (await store.ListConversationAsync(conversationId, cancellationToken)).Any(turn => turn.State == TurnState.Running);

    internal static string Label(FileRemovalCause cause) => cause switch
    {
        FileRemovalCause.Delete => "delete",
        FileRemovalCause.Retention => "retention",
        _ => "orphan",
    };

    private enum PoolOutcome
    {
        Removed,
        Held,
        Failed,
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Maintenance + 1, Level = LogLevel.Information, Message = "Profile {Profile}: the files of conversation {Key} were removed ({Cause})")]
        public static partial void Removed(ILogger logger, string profile, string key, string cause);

        [LoggerMessage(EventId = EventIds.Maintenance + 2, Level = LogLevel.Warning, Message = "Profile {Profile}: the files of conversation {Key} were still held by a process after {Limit} (Pool:LeaseTimeout); not removed")]
        public static partial void StillHeld(ILogger logger, string profile, string key, TimeSpan limit);

        [LoggerMessage(EventId = EventIds.Maintenance + 3, Level = LogLevel.Error, Message = "Profile {Profile}: the files of conversation {Key} could not be removed")]
        public static partial void Failed(ILogger logger, string profile, string key, Exception exception);
    }
}
