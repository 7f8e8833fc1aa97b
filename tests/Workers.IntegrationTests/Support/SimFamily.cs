namespace Workers.IntegrationTests.Support;

/// <summary>The simulated agent's launch arguments for each runtime family, as the shipped sim profiles use them.</summary>
public static class SimFamily
{
    public const string Claude = "claude-stream-json";
    public const string Acp = "acp-json-rpc";
    public const string Codex = "json-event-stream";
    public const string Plain = "plain";

    public static IReadOnlyList<string> Args(string family) => family switch
    {
        Claude => ["claude", "-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages",
            "--permission-prompt-tool", "stdio"],
        Acp => ["acp"],
        Codex => ["codex", "exec", "--json", "--skip-git-repo-check"],
        Plain => ["plain"],
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, null),
    };
}
