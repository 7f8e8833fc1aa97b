using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Workers.ModelStub;

/// <summary>What the last user message asks of the stub, by markers in its text:
/// <c>[[stub:status=500]]</c> (answer every such request with that HTTP error), <c>[[stub:tokens=N]]</c>,
/// <c>[[stub:token-ms=N]]</c>, <c>[[stub:first-token-ms=N]]</c>, and <c>[[stub:tool=NAME {json}]]</c> (call that tool
/// with that input, when the request offers it and the last message is not already a tool result).</summary>
public sealed partial record StubDirectives(int? Status, int Tokens, TimeSpan TokenInterval, TimeSpan FirstTokenDelay, string? ToolName,
    JsonElement? ToolInput)
{
    public static StubDirectives Parse(string lastUserText, StubOptions options)
    {
        int? Number(string name) => Regex.Match(lastUserText, $@"\[\[stub:{name}=(\d+)\]\]") is { Success: true } m
            ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;

        string? toolName = null;
        JsonElement? toolInput = null;
        if (ToolMarker().Match(lastUserText) is { Success: true } tool)
        {
            toolName = tool.Groups["name"].Value;
            toolInput = JsonDocument.Parse(tool.Groups["input"].Success ? tool.Groups["input"].Value : "{}").RootElement.Clone();
        }

        return new StubDirectives(
            Number("status"),
            Number("tokens") ?? options.Tokens,
            Number("token-ms") is { } tokenMs ? TimeSpan.FromMilliseconds(tokenMs) : options.TokenInterval,
            Number("first-token-ms") is { } firstMs ? TimeSpan.FromMilliseconds(firstMs) : options.FirstTokenDelay,
            toolName,
            toolInput);
    }

    /// <summary>The answer's words: deterministic, so tests can compare the text.</summary>
    public IEnumerable<string> Words(string prefix) =>
        Enumerable.Range(0, Tokens).Select(i => (i == 0 ? prefix + " " : " ") + $"w{i + 1}");

    [GeneratedRegex(@"\[\[stub:tool=(?<name>[A-Za-z0-9_\-]+)\s*(?<input>\{.*?\})?\]\]", RegexOptions.Singleline)]
    private static partial Regex ToolMarker();
}
