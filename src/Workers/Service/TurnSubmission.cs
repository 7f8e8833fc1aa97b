using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Workers.Serialization;

namespace Workers.Service;

/// <summary>The body of <c>POST /v1/turns</c> (<c>specs/api.md</c>).</summary>
public sealed record TurnSubmission
{
    /// <summary>The producer's turn id: enqueueing the same id and body again returns the same turn.</summary>
    public string? Id { get; init; }

    public string? ConversationId { get; init; }

    public string? Profile { get; init; }

    public string? Prompt { get; init; }

    /// <summary>An absolute working directory the profile allows; the profile's default when absent.</summary>
    public string? Cwd { get; init; }

    /// <summary>The conversation so far, replayed when its session cannot be resumed.</summary>
    public List<TranscriptEntry>? Transcript { get; init; }

    /// <summary>When the producer stops caring: a turn still queued or running then ends <c>deadline_exceeded</c>.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Free-form producer data, stored and returned as given (at most 16 KiB).</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>True for a canary (<c>specs/canaries.md</c>): set by the service's own schedule only; a producer that sends it
    /// is refused (a canary runs only on a ready process and is kept out of the producer metrics).</summary>
    public bool? Canary { get; init; }

    /// <summary>One message of a transcript.</summary>
    public sealed record TranscriptEntry
    {
        /// <summary><c>user</c> or <c>assistant</c>.</summary>
        public string? Role { get; init; }

        public string? Text { get; init; }
    }

    /// <summary>The stored form: the same JSON for the same request, whatever its whitespace or key order.</summary>
    public string ToCanonicalJson() => JsonSerializer.Serialize(this, CanonicalOptions);

    /// <summary>What makes a repeat of this id the same turn: SHA-256 of the body without its id, whitespace and key order
    /// normalised at every depth, inside <see cref="Metadata"/> too (whose stored form stays as given).</summary>
    public string IdempotencyHash()
    {
        var normalised = this with { Id = null, Metadata = Metadata is { } metadata ? CanonicalJson.Normalise(metadata) : null };
        // The canonical JSON's UTF-8 bytes, hashed as they are written: a body at the size limit never exists again whole.
        using var hashing = new HashingBufferWriter(HashAlgorithmName.SHA256);
        using (var writer = new Utf8JsonWriter(hashing))
        {
            JsonSerializer.Serialize(writer, normalised, CanonicalOptions);
        }

        return Convert.ToHexString(hashing.GetHashAndReset());
    }

    public static TurnSubmission FromStored(string json) => JsonSerializer.Deserialize<TurnSubmission>(json, CanonicalOptions)!;

    private static readonly JsonSerializerOptions CanonicalOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
