using System.Text;
using Workers.Profiles;

namespace Workers.Service;

/// <summary>Checks a submission before anything is stored. Every problem is reported by field, with the reason.</summary>
public sealed class TurnSubmissionValidator(ProfileCatalog profiles, ServiceOptions options, TimeProvider? timeProvider = null)
{
    /// <summary>How far ahead a <c>deadline</c> may be. A turn has no business waiting longer; and every wait the service
    /// builds from it stays far inside what a timer can hold (<see cref="TimerLimits.Longest"/>, about 49.7 days).</summary>
    public static readonly TimeSpan MaxDeadlineAhead = TimeSpan.FromDays(7);

    /// <summary>The largest <c>metadata</c>, in bytes of its JSON as sent.</summary>
    public const int MaxMetadataBytes = 16 * 1024;

    public Dictionary<string, string[]> Validate(TurnSubmission submission)
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field) ?? [], message];

        if (submission.Id is { } id && !ProducerIds.IsValid(id))
        {
            Add("id", $"must be {ProducerIds.Rule}.");
        }

        if (string.IsNullOrWhiteSpace(submission.ConversationId))
        {
            Add("conversationId", "is required.");
        }
        else if (!ProducerIds.IsValid(submission.ConversationId))
        {
            Add("conversationId", $"must be {ProducerIds.Rule}.");
        }

        ResolvedProfile? profile = null;
        if (string.IsNullOrWhiteSpace(submission.Profile))
        {
            Add("profile", $"is required; known profiles: {Known()}.");
        }
        else if (!profiles.TryGet(submission.Profile, out profile))
        {
            Add("profile", $"'{submission.Profile}' is not a configured profile; known profiles: {Known()}.");
        }

        if (string.IsNullOrWhiteSpace(submission.Prompt))
        {
            Add("prompt", "is required and must not be blank.");
        }
        else if (Encoding.UTF8.GetByteCount(submission.Prompt) > options.MaxPromptBytes)
        {
            Add("prompt", $"is {Encoding.UTF8.GetByteCount(submission.Prompt)} bytes; the limit is {options.MaxPromptBytes} (Workers:Service:MaxPromptBytes).");
        }

        if (submission.Cwd is not null && profile is not null)
        {
            try
            {
                // Its real path must lie inside too; the message names the cwd as sent, never where a symlink leads.
                profile.ResolveWorkingDirectory(submission.Cwd);
            }
            catch (ArgumentException ex)
            {
                Add("cwd", ex.Message);
            }
        }

        if (submission.Transcript is { Count: var entries } && entries > options.MaxTranscriptEntries)
        {
            Add("transcript",
                $"holds {entries} entries; the limit is {options.MaxTranscriptEntries} (Workers:Service:MaxTranscriptEntries).");
        }
        else if (submission.Transcript is { } transcript)
        {
            var bytes = 0;
            for (var i = 0; i < transcript.Count; i++)
            {
                if (transcript[i] is not { Role: "user" or "assistant" })
                {
                    Add($"transcript[{i}].role", "must be 'user' or 'assistant'.");
                }

                if (transcript[i]?.Text is null)
                {
                    Add($"transcript[{i}].text", "is required.");
                }

                bytes += Encoding.UTF8.GetByteCount(transcript[i]?.Text ?? "");
            }

            if (bytes > options.MaxTranscriptBytes)
            {
                Add("transcript", $"holds {bytes} bytes of text; the limit is {options.MaxTranscriptBytes} (Workers:Service:MaxTranscriptBytes).");
            }
        }

        if (submission.Deadline is { } deadline && deadline - (timeProvider ?? TimeProvider.System).GetUtcNow() > MaxDeadlineAhead)
        {
            Add("deadline", $"must be at most {MaxDeadlineAhead.TotalDays:0} days ahead.");
        }

        if (submission.Canary is not null)
        {
            Add("canary", "is set by the service's canary schedule only (Workers:Profiles:<name>:Canary); leave it out.");
        }

        if (submission.Metadata is { } metadata && Encoding.UTF8.GetByteCount(metadata.GetRawText()) > MaxMetadataBytes)
        {
            Add("metadata", $"must be at most {MaxMetadataBytes} bytes of JSON.");
        }

        return errors;
    }

    private string Known() => string.Join(", ", profiles.All.Select(p => p.Name).Order(StringComparer.Ordinal));
}
