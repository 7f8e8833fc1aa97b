using System.Text.Json;
using System.Text.Json.Serialization;

namespace Workers.Serialization;

/// <summary>The JSON shape of everything Workers prints or serves: camelCase names (timing segments keep their metric
/// names, e.g. <c>cli_ready</c>), enums as lower-case strings, no nulls.</summary>
public static class WorkersJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            // Agent text is full of '+', quotes and non-ASCII; JSON needs none of them escaped (this is not HTML).
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
