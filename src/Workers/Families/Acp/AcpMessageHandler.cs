using System.IO.Pipelines;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Workers.Families.Acp;

/// <summary>Newline-delimited JSON-RPC as ACP speaks it, noting the id of every request we write, so that only answers to
/// those reach StreamJsonRpc (<see cref="PendingRequests"/>).</summary>
internal sealed class AcpMessageHandler(PipeWriter writer, PipeReader reader, PendingRequests pending)
    : NewLineDelimitedMessageHandler(writer, reader, new SystemTextJsonFormatter())
{
    protected override void Write(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        // Noted before the write: the answer can come back before the write returns.
        if (content is JsonRpcRequest { RequestId.IsEmpty: false } request)
        {
            pending.Sent(request.RequestId);
        }

        base.Write(content, cancellationToken);
    }
}
