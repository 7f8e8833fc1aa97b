using System.Text.Json;
using StreamJsonRpc;

namespace Workers.Families.Acp;

/// <summary>The requests of ACP that the agent makes of its client, answered at once by policy. (<c>session/update</c>
/// notifications do not come here: <see cref="AcpConnection"/> handles them in stdout order before the JSON-RPC reader.)</summary>
internal sealed class AcpClientTarget(AcpConnection connection)
{
    [JsonRpcMethod("session/request_permission", UseSingleObjectParameterDeserialization = true)]
    public JsonElement RequestPermission(JsonElement parameters) => connection.OnRequestPermission(parameters);

    [JsonRpcMethod("fs/read_text_file", UseSingleObjectParameterDeserialization = true)]
    public JsonElement ReadTextFile(JsonElement parameters) => connection.OnReadTextFile(parameters);

    [JsonRpcMethod("fs/write_text_file", UseSingleObjectParameterDeserialization = true)]
    public JsonElement WriteTextFile(JsonElement parameters) => connection.OnWriteTextFile(parameters);
}
