using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>The session's model as an ACP config option (category <c>model</c>), the way claude-agent-acp offers it: every
/// session answer lists it, <c>session/set_config_option</c> changes it, and a resumed or loaded session starts again at
/// the default (claude-agent-acp 0.23 does the same), so a host has to set it again after every resume.</summary>
internal static class AcpModelOption
{
    public const string Id = "model";

    public const string Default = "sim-standard";

    private static readonly string[] Values = [Default, "sim-fast", "sim-large"];

    public static bool IsKnown(string value) => Values.Contains(value, StringComparer.Ordinal);

    /// <summary>The <c>configOptions</c> of a session whose model is <paramref name="current"/>.</summary>
    public static JsonArray ConfigOptions(string current)
    {
        var options = new JsonArray();
        foreach (var value in Values)
        {
            options.Add(new JsonObject { ["value"] = value, ["name"] = value });
        }

        return new JsonArray(new JsonObject
        {
            ["id"] = Id,
            ["name"] = "Model",
            ["category"] = "model",
            ["type"] = "select",
            ["currentValue"] = current,
            ["options"] = options,
        });
    }
}
