using Microsoft.Extensions.Logging;
using Workers.Logging;
using Workers.Pooling;
using Workers.Sessions;
using Workers.Store;

namespace Workers.Maintenance;

/// <summary>Retention (<c>Workers:Service:Retention</c>): the store deletes finished turns older than the cutoff, and every
/// conversation left with no turn loses its files in the profiles in conversation isolation (<see cref="ConversationFileCleanup"/>),
/// and its agent session id when that session's profile isolates conversations (the session's state was in the HOME just
/// deleted). In profile isolation nothing changes: the shared HOME keeps the session, which stays resumable.</summary>
public sealed partial class ConversationRetention(ITurnStore store, IConversationSessionStore sessions, PoolRegistry pools,
    ConversationFileCleanup files, ILogger<ConversationRetention> logger)
{
    /// <summary>Applies retention at <paramref name="cutoff"/>. A conversation whose files could not all be removed now is logged;
    /// the file sweep takes what remains at rest once its grace period has passed (the conversation has no turn any more).</summary>
    public async Task<RetentionResult> ApplyAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var result = await store.ApplyRetentionAsync(cutoff, cancellationToken);
        if (!pools.All.Any(p => p.IsolatesConversations))
        {
            return result;
        }

        foreach (var conversation in result.EmptiedConversations)
        {
            if (await sessions.GetAsync(conversation, cancellationToken) is { } session
                && pools.TryGet(session.Profile, out var pool) && pool.IsolatesConversations)
            {
                await sessions.ForgetAsync(conversation, cancellationToken);
            }

            var removal = await files.RemoveAsync(conversation, FileRemovalCause.Retention, cancellationToken);
            if (!removal.Complete)
            {
                Log.Incomplete(logger, Isolation.ConversationFiles.KeyOf(conversation),
                    string.Join(", ", removal.StillHeld.Concat(removal.Failed.Keys)));
            }
        }

        return result;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Maintenance + 4, Level = LogLevel.Warning, Message = "Retention: the files of conversation {Key} were not all removed (profiles {Profiles}); the file sweep removes them later")]
        public static partial void Incomplete(ILogger logger, string key, string profiles);
    }
}
