using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>Lenient reads from host input: a field of the wrong type counts as missing instead of throwing.</summary>
internal static class JsonRead
{
    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static JsonObject? Object(JsonNode? node) => node as JsonObject;

    /// <summary>Parses one input line; null when it is not a JSON object.</summary>
    public static JsonObject? ParseObject(string line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The text of a prompt given as a string or as content blocks; non-text blocks are ignored.</summary>
    public static string PromptText(JsonNode? content)
    {
        if (String(content) is { } text)
        {
            return text;
        }

        var parts = new List<string>();
        foreach (var block in content as JsonArray ?? [])
        {
            if (String(block?["type"]) == "text" && String(block?["text"]) is { } part)
            {
                parts.Add(part);
            }
        }

        return string.Join("\n", parts);
    }
}
