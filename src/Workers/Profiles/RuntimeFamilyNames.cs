using System.Diagnostics.CodeAnalysis;

namespace Workers.Profiles;

/// <summary>The configuration and label spelling of each <see cref="RuntimeFamily"/>.</summary>
public static class RuntimeFamilyNames
{
    public const string ClaudeStreamJson = "claude-stream-json";
    public const string AcpJsonRpc = "acp-json-rpc";
    public const string JsonEventStream = "json-event-stream";
    public const string Plain = "plain";

    public static IReadOnlyList<string> All { get; } = [ClaudeStreamJson, AcpJsonRpc, JsonEventStream, Plain];

    public static string ToName(this RuntimeFamily family) => family switch
    {
        RuntimeFamily.ClaudeStreamJson => ClaudeStreamJson,
        RuntimeFamily.AcpJsonRpc => AcpJsonRpc,
        RuntimeFamily.JsonEventStream => JsonEventStream,
        RuntimeFamily.Plain => Plain,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };

    public static bool TryParse(string? name, [NotNullWhen(true)] out RuntimeFamily? family)
    {
        family = name?.Trim().ToLowerInvariant() switch
        {
            ClaudeStreamJson => RuntimeFamily.ClaudeStreamJson,
            AcpJsonRpc or "acp" => RuntimeFamily.AcpJsonRpc,
            JsonEventStream => RuntimeFamily.JsonEventStream,
            Plain => RuntimeFamily.Plain,
            _ => null,
        };
        return family is not null;
    }
}
