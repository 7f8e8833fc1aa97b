using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Workers.IntegrationTests.Deployment;

/// <summary>YAML → JSON as Helm reads values: plain scalars are typed by the YAML core schema (null, booleans, integers,
/// floats), quoted and block scalars stay strings. A duplicate key is an error.</summary>
internal static partial class YamlJson
{
    public static JsonNode? Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode, "$");
    }

    private static JsonNode? Convert(YamlNode node, string path) => node switch
    {
        YamlMappingNode mapping => ConvertMapping(mapping, path),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select((child, i) => Convert(child, $"{path}[{i}]"))]),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => throw new InvalidOperationException($"{path}: unsupported YAML node {node.NodeType}."),
    };

    private static JsonObject ConvertMapping(YamlMappingNode mapping, string path)
    {
        var result = new JsonObject();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (result.ContainsKey(key))
            {
                throw new InvalidOperationException($"{path}: duplicate key '{key}' (line {keyNode.Start.Line}).");
            }

            result[key] = Convert(valueNode, $"{path}.{key}");
        }

        return result;
    }

    private static JsonValue? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != YamlDotNet.Core.ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    /// <summary>The node at a path of keys (<c>profiles</c>, <c>claude</c>, <c>pool</c>), or false when a key is missing.</summary>
    public static bool TryGet(JsonNode? root, IEnumerable<string> segments, out JsonNode? found)
    {
        var current = root;
        foreach (var segment in segments)
        {
            if (current is not JsonObject map || !map.TryGetPropertyValue(segment, out current))
            {
                found = null;
                return false;
            }
        }

        found = current;
        return true;
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
