using System.Globalization;
using Microsoft.Extensions.Options;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Service;
using Workers.Store;

namespace Workers.Maintenance;

/// <summary>Puts a profile's canary for one schedule time into the store, as a producer's turn would be
/// (<c>specs/canaries.md</c>). The turn's id is the profile and the schedule time, so every replica whose schedule fires
/// for that time enqueues the same turn: the store keeps one, and the cluster runs one canary per tick. Skipped, and
/// counted so, when this replica's pool has no ready process (a canary never makes a producer wait or spawns for itself)
/// or the queue is full.</summary>
public sealed class CanaryEnqueue(ITurnStore store, PoolRegistry pools, ProfileCatalog profiles, WorkerMetrics metrics,
    IOptions<ServiceOptions> options)
{
    /// <summary>What an enqueue did.</summary>
    public enum Outcome
    {
        Enqueued,

        /// <summary>Another replica enqueued this tick's canary first.</summary>
        AlreadyEnqueued,

        Skipped,
    }

    /// <summary>The turn id of <paramref name="profile"/>'s canary for <paramref name="scheduledAt"/>.</summary>
    public static string TurnId(string profile, DateTimeOffset scheduledAt) =>
        $"canary-{profile}-{scheduledAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";

    public async Task<Outcome> EnqueueAsync(string profile, DateTimeOffset scheduledAt, CancellationToken cancellationToken)
    {
        var canary = profiles.Get(profile).Options.Canary;
        if (!pools.TryGet(profile, out var pool) || pool.ReadyCountOf(Profiles.PrewarmDirectory.DefaultName) == 0)
        {
            metrics.RecordCanarySkipped(profile, Turns.FailureReasons.NoReadyProcess);
            return Outcome.Skipped;
        }

        var id = TurnId(profile, scheduledAt);
        var submission = new TurnSubmission
        {
            Id = id,
            ConversationId = id,
            Profile = profile,
            Prompt = canary.Prompt,
            Deadline = scheduledAt + canary.Deadline,
            Canary = true,
        };
        try
        {
            var (outcome, _) = await store.EnqueueAsync(
                new NewTurn(id, id, profile, submission.ToCanonicalJson(), submission.IdempotencyHash(), scheduledAt)
                {
                    QueueLimit = options.Value.MaxQueuedTurns,
                }, cancellationToken);
            return outcome == EnqueueOutcome.Created ? Outcome.Enqueued : Outcome.AlreadyEnqueued;
        }
        catch (QueueFullException)
        {
            metrics.RecordCanarySkipped(profile, "queue_full");
            return Outcome.Skipped;
        }
    }
}
