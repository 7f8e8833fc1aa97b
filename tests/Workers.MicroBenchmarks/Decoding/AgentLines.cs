namespace Workers.MicroBenchmarks.Decoding;

/// <summary>One piece of model text as each family's agent writes it on stdout, in the simulated agent's format (its writers:
/// <c>src/Workers.SimAgent/ClaudeMessages.cs</c> <c>StreamEvent</c> and <c>TextDelta</c>, <c>AcpMessages.cs</c>
/// <c>SessionUpdate</c> and <c>Chunk</c>, <c>CodexEvents.cs</c> <c>ItemCompleted</c> and <c>AgentMessage</c>), which follows the
/// real CLIs' (<c>specs/families.md</c>, "Event mapping"). The text is a token's worth, as a model streams it; codex exec
/// sends each agent message whole, so its line carries a sentence.</summary>
internal static class AgentLines
{
    public const string Token = " streaming";

    public const string Sentence = "The build passes: the two failing tests now wait for the lock before they read the file.";

    /// <summary>A Claude Code <c>stream_event</c> wrapping a <c>text_delta</c> (<c>--include-partial-messages</c>).</summary>
    public static string ClaudeTextDelta(string sessionId) =>
        """{"type":"stream_event","uuid":"4f5b2c1e-8d7a-4e0b-9a63-2f1d0c9e7b15","session_id":""" + Quoted(sessionId)
        + ""","parent_tool_use_id":null,"event":{"type":"content_block_delta","index":0,"""
        + "\"delta\":{\"type\":\"text_delta\",\"text\":" + Quoted(Token) + "}}}";

    /// <summary>An ACP <c>session/update</c> notification with an <c>agent_message_chunk</c>.</summary>
    public static string AcpMessageChunk(string sessionId) =>
        """{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":""" + Quoted(sessionId)
        + ""","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":""" + Quoted(Token) + "}}}}";

    /// <summary>A <c>codex exec --json</c> <c>item.completed</c> of an <c>agent_message</c>.</summary>
    public static string CodexAgentMessage() =>
        """{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":""" + Quoted(Sentence) + "}}";

    private static string Quoted(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
