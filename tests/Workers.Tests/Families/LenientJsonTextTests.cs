using System.Text.Json;
using Workers.Families;

namespace Workers.Tests.Families;

/// <summary>JSON strings from agents read as text whatever they hold: a lone surrogate escape (valid JSON, what
/// <c>JSON.stringify</c> writes for half an emoji) becomes U+FFFD instead of an exception that fails the turn.</summary>
public sealed class LenientJsonTextTests
{
    [Theory]
    [InlineData("""{"t":"half \ud83d emoji"}""", "half \uFFFD emoji")]
    [InlineData("""{"t":"\ud83d"}""", "\uFFFD")]
    [InlineData("""{"t":"low first \ude00\ud83d"}""", "low first \uFFFD\uFFFD")]
    [InlineData("""{"t":"two highs \ud83d\ud83d\ude00"}""", "two highs \uFFFD\U0001F600")]
    [InlineData("""{"t":"escapes \" \\ \/ \b \f \n \r \t \u0041 \ud83d"}""", "escapes \" \\ / \b \f \n \r \t A \uFFFD")]
    [InlineData("""{"t":"a pair \ud83d\ude00 stays"}""", "a pair \U0001F600 stays")]
    [InlineData("""{"t":"plain"}""", "plain")]
    public void Str_ReadsEveryStringAsText(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(expected, document.RootElement.Str("t"));
    }

    [Fact]
    public void Str_OfALoneSurrogate_IsWhatGetStringRefuses()
    {
        // The reason the lenient read exists: the framework's own read throws on it.
        using var document = JsonDocument.Parse("""{"t":"\ud83d"}""");

        Assert.Throws<InvalidOperationException>(() => document.RootElement.GetProperty("t").GetString());
    }
}
