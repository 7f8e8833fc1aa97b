using System.Buffers;
using System.Text.Json;

namespace Workers.Serialization;

/// <summary>One text for every way of writing the same JSON value: the properties of every object, at every depth, in
/// ordinal order of their names, no whitespace, strings escaped one way. Numbers stay as written (<c>1</c> and
/// <c>1.0</c> differ). What an idempotency key compares (<c>specs/api.md</c>, "Idempotency").</summary>
public static class CanonicalJson
{
    public static JsonElement Normalise(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, element);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                // OrderBy is stable: repeated names (legal JSON, if odd) keep their order.
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
