using System.Text.Json;
using StreamJsonRpc;

namespace Workers.Families.Acp;

/// <summary>The requests of ACP that the agent makes of its client, answered by policy without waiting on anyone (a
/// permission allowed and a write wait only for the turn's tool use to be recorded). (<c>session/update</c>
/// notifications do not come here: <see cref="AcpConnection"/> handles them in stdout order before the JSON-RPC reader.)</summary>
internal sealed class AcpClientTarget(AcpConnection connection)
{
    [JsonRpcMethod("session/request_permission", UseSingleObjectParameterDeserialization = true)]
    public Task<JsonElement> RequestPermissionAsync(JsonElement parameters) => connection.OnRequestPermissionAsync(parameters);

    [JsonRpcMethod("fs/read_text_file", UseSingleObjectParameterDeserialization = true)]
    public JsonElement ReadTextFile(JsonElement parameters) => connection.OnReadTextFile(parameters);

    [JsonRpcMethod("fs/write_text_file", UseSingleObjectParameterDeserialization = true)]
    public Task<JsonElement> WriteTextFileAsync(JsonElement parameters) => connection.OnWriteTextFileAsync(parameters);
}
