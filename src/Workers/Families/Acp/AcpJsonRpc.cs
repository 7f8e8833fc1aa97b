using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using Workers.Turns;

namespace Workers.Families.Acp;

/// <summary>JSON-RPC as ACP agents speak it: their <c>error.data</c> is free-form (e.g. <c>{"details":"API Error: 429 …"}</c>),
/// not StreamJsonRpc's exception shape, so it is kept as raw JSON for classification.</summary>
internal sealed class AcpJsonRpc(IJsonRpcMessageHandler handler) : JsonRpc(handler)
{
    protected override Type? GetErrorDetailsDataType(JsonRpcError error) => typeof(JsonElement);

    /// <summary>The failure reason of an agent's error answer: -32000 is ACP's auth_required; a code between 400 and 599 is
    /// the provider's HTTP status passed through (gemini --acp answers a 401 from the model API with code 401); else by
    /// the text of message and data.</summary>
    public static string Classify(RemoteInvocationException exception) => exception.ErrorCode switch
    {
        -32000 => FailureReasons.Auth,
        >= 400 and < 600 when ProviderErrorClassifier.FromHttpStatus(exception.ErrorCode) is var byStatus
            && byStatus != FailureReasons.Unclassified => byStatus,
        // opencode passes on only the provider's message (e.g. Anthropic's 401 "invalid x-api-key"): by text.
        _ => ProviderErrorClassifier.FromText(Describe(exception)),
    };

    /// <summary>claude-code-acp 0.16 (retired from the shipped profiles, specs/families.md) answers <c>session/resume</c> and <c>session/load</c> of a session its Claude Code does not
    /// know with -32603 "Query closed before response received" (the Claude child exited on "No conversation found"):
    /// that is a stale session, not an agent failure.</summary>
    public static bool IsClosedDuringResume(RemoteInvocationException exception) =>
        Describe(exception).Contains("Query closed before response received", StringComparison.OrdinalIgnoreCase);

    /// <summary>The error's message and data as text.</summary>
    public static string Describe(RemoteRpcException exception) =>
        exception.DeserializedErrorData is JsonElement { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } data
            ? $"{exception.Message} {data.GetRawText()}"
            : exception.Message;
}
