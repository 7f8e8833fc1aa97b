using System.Text.Json;
using StreamJsonRpc;

namespace Workers.Families.Acp;

/// <summary>The client side of ACP that the agent calls. Handlers are synchronous on purpose: StreamJsonRpc
/// starts handlers in arrival order, but async ones run concurrently and reorder <c>session/update</c>s.</summary>
internal sealed class AcpClientTarget(AcpConnection connection)
{
    [JsonRpcMethod("session/update", UseSingleObjectParameterDeserialization = true)]
    public void SessionUpdate(JsonElement parameters) => connection.OnSessionUpdate(parameters);

    [JsonRpcMethod("session/request_permission", UseSingleObjectParameterDeserialization = true)]
    public JsonElement RequestPermission(JsonElement parameters) => connection.OnRequestPermission(parameters);

    [JsonRpcMethod("fs/read_text_file", UseSingleObjectParameterDeserialization = true)]
    public JsonElement ReadTextFile(JsonElement parameters) => connection.OnReadTextFile(parameters);

    [JsonRpcMethod("fs/write_text_file", UseSingleObjectParameterDeserialization = true)]
    public JsonElement WriteTextFile(JsonElement parameters) => connection.OnWriteTextFile(parameters);
}
