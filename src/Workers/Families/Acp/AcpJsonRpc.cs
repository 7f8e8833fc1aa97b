using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Workers.Families.Acp;

/// <summary>JSON-RPC as ACP agents speak it: their <c>error.data</c> is free-form (e.g. <c>{"details":"API Error: 429 …"}</c>),
/// not StreamJsonRpc's exception shape, so it is kept as raw JSON for classification.</summary>
internal sealed class AcpJsonRpc(IJsonRpcMessageHandler handler) : JsonRpc(handler)
{
    protected override Type? GetErrorDetailsDataType(JsonRpcError error) => typeof(JsonElement);

    /// <summary>The error's message and data as text.</summary>
    public static string Describe(RemoteInvocationException exception) =>
        exception.DeserializedErrorData is JsonElement { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } data
            ? $"{exception.Message} {data.GetRawText()}"
            : exception.Message;
}
