using System.Text.Json;
using Workers.Families;

namespace Workers.Tests.Families;

/// <summary>The comparisons that read a field without making a string of it answer exactly as comparing <c>Str</c> would:
/// escapes are read, absence and other kinds are null, and a lone surrogate is U+FFFD.</summary>
public sealed class JsonFieldsTests
{
    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [Theory]
    [InlineData("""{"type":"text_delta"}""", "text_delta")]
    [InlineData("""{"type":"text\u005fdelta"}""", "text_delta")]
    [InlineData("""{"type":"text"}""", "text_delta")]
    [InlineData("""{"type":1}""", "text_delta")]
    [InlineData("""{"other":"text_delta"}""", "text_delta")]
    [InlineData("""{"type":"text_delta"}""", null)]
    [InlineData("""{"type":null}""", null)]
    [InlineData("""{}""", null)]
    [InlineData("""{"type":"half \ud83d"}""", "half \uFFFD")]
    [InlineData("""{"type":"half \ud83d"}""", "half \ud83d")]
    [InlineData("""["type"]""", "type")]
    public void Is_AnswersAsComparingStr(string json, string? value)
    {
        var element = Parse(json);

        Assert.Equal(element.Str("type") == value, element.Is("type", value));
    }

    [Theory]
    [InlineData("""{"type":"assistant"}""", "assistant")]
    [InlineData("""{"type":"\u0075ser"}""", "user")]
    [InlineData("""{"type":"rate_limit_event"}""", null)]
    [InlineData("""{"type":true}""", null)]
    [InlineData("""{}""", null)]
    [InlineData("""[]""", null)]
    public void OneOf_GivesTheKnownValueItself_OrNull(string json, string? expected)
    {
        string[] known = ["system", "assistant", "user"];

        var found = Parse(json).OneOf("type", known);

        Assert.Equal(expected, found);
        if (found is not null)
        {
            Assert.Same(known.Single(k => k == expected), found);
        }
    }
}
