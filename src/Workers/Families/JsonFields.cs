using System.Text.Json;

namespace Workers.Families;

/// <summary>Field access by name on decoded agent messages: agents vary key order and omit fields, so every
/// read tolerates absence, a wrong kind and a string that is not Unicode text (<see cref="LenientJsonText"/>).</summary>
internal static class JsonFields
{
    public static string? Str(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? LenientJsonText.Text(value)
            : null;

    /// <summary>True when <see cref="Str"/> would give <paramref name="value"/> (null: the field is absent or not a string),
    /// found without making a string of the field: for the fields an agent's message is only told apart by (its type, its
    /// method, its session), read for every line.</summary>
    public static bool Is(this JsonElement element, string name, string? value)
    {
        if (value is null || value.Contains(LenientJsonText.Replacement, StringComparison.Ordinal))
        {
            // Str gives U+FFFD for a lone surrogate, which the field's own value never equals: compare as Str does.
            return element.Str(name) == value;
        }

        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var field)
            && field.ValueKind == JsonValueKind.String && field.ValueEquals(value);
    }

    /// <summary>The string field <paramref name="name"/> as the one of <paramref name="known"/> it equals (that very instance:
    /// nothing is allocated), or null when it is absent, not a string, or none of them. For a field switched on: the
    /// values the switch names are all it needs to see.</summary>
    public static string? OneOf(this JsonElement element, string name, ReadOnlySpan<string> known)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var field)
            || field.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        foreach (var candidate in known)
        {
            if (field.ValueEquals(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>An element as text: a string's own text, anything else as its JSON.</summary>
    public static string AsText(this JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? LenientJsonText.Text(element) : element.GetRawText();

    public static long? Long(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt64(out var number)
            ? number
            : null;

    public static bool Bool(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    public static JsonElement? Obj(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static IEnumerable<JsonElement> Array(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];
}
