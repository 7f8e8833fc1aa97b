using System.Text.Json;
using Workers.Serialization;
using Workers.Service;

namespace Workers.Tests.Serialization;

/// <summary>Key order and whitespace do not make another value, at any depth; anything else does.</summary>
public sealed class CanonicalJsonTests
{
    private static string Canonical(string json) => CanonicalJson.Normalise(JsonDocument.Parse(json).RootElement).GetRawText();

    [Fact]
    public void NestedObjects_InAnyKeyOrderAndSpacing_GiveOneText()
    {
        var a = Canonical("""{"b":{"y":[{"q":2,"p":1}],"x":"\u00e9"},"a":1}""");
        var b = Canonical("""{ "a" : 1, "b" : { "x" : "é", "y" : [ { "p" : 1, "q" : 2 } ] } }""");

        Assert.Equal(a, b);
        Assert.Equal("""{"a":1,"b":{"x":"\u00E9","y":[{"p":1,"q":2}]}}""", a);
    }

    [Theory]
    [InlineData("""{"a":[1,2]}""", """{"a":[2,1]}""")]
    [InlineData("""{"a":1}""", """{"a":1.0}""")]
    [InlineData("""{"a":"1"}""", """{"a":1}""")]
    [InlineData("""{"a":{"b":1}}""", """{"a":{"B":1}}""")]
    public void OtherValues_StayDifferent(string one, string other) => Assert.NotEqual(Canonical(one), Canonical(other));

    [Fact]
    public void IdempotencyHash_IgnoresMetadataKeyOrderAndTheId_NotItsValues()
    {
        TurnSubmission Submission(string id, string metadata) => new()
        {
            Id = id, ConversationId = "c1", Profile = "p", Prompt = "hi", Metadata = JsonDocument.Parse(metadata).RootElement,
        };

        var hash = Submission("t1", """{"a":1,"b":{"x":1,"y":2}}""").IdempotencyHash();

        Assert.Equal(hash, Submission("t2", """{"b":{"y":2,"x":1},"a":1}""").IdempotencyHash());
        Assert.NotEqual(hash, Submission("t1", """{"b":{"y":1,"x":2},"a":1}""").IdempotencyHash());
    }

    /// <summary>The hash is taken as the JSON is written, in 64 KiB pieces; it must stay the hash of the whole canonical text,
    /// or a repeat of a turn stored before would read as a conflict.</summary>
    [Fact]
    public void IdempotencyHash_IsTheSha256OfTheCanonicalJson_AcrossManyChunks()
    {
        var text = string.Concat(Enumerable.Repeat("<tag> é 😀 \" ", 20_000));
        var submission = new TurnSubmission
        {
            Id = "t1", ConversationId = "c1", Profile = "p", Prompt = text,
            Transcript = [new TurnSubmission.TranscriptEntry { Role = "user", Text = text }],
            Metadata = JsonDocument.Parse("""{"a":1,"b":[1,2]}""").RootElement,
        };

        var whole = (submission with { Id = null }).ToCanonicalJson();
        var expected = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(whole)));

        Assert.True(whole.Length > 1_000_000, "the canonical text spans many chunks");
        Assert.Equal(expected, submission.IdempotencyHash());
    }
}
