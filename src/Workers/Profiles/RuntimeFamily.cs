namespace Workers.Profiles;

/// <summary>The wire protocol of an agent CLI; it fixes where the timing markers are observed.</summary>
public enum RuntimeFamily
{
    /// <summary><c>claude -p --input-format stream-json --output-format stream-json</c>: many turns per process.</summary>
    ClaudeStreamJson,

    /// <summary>Agent Client Protocol v1 over newline-delimited JSON-RPC: many turns and sessions per process.</summary>
    AcpJsonRpc,

    /// <summary><c>codex exec --json -</c>: prompt on stdin until EOF, one turn per process.</summary>
    JsonEventStream,

    /// <summary>Any text CLI: prompt on stdin, text on stdout, one turn per process.</summary>
    Plain,
}
