using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Threading.Channels;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Workers.Families.Acp;

/// <summary>Newline-delimited JSON-RPC as ACP speaks it: messages are written to the agent's stdin, and read from the lines
/// the stdout filter hands on (<see cref="AcceptAsync"/>), each in an array of its own. Noted too: the id of every request
/// we write, so that only answers to those reach StreamJsonRpc (<see cref="PendingRequests"/>).</summary>
/// <remarks>Why not a pipe to read from, as StreamJsonRpc's own handler does: its formatter parses a message into a
/// <see cref="JsonDocument"/> over the pipe's memory, which stays in use after the read has moved past it, because a
/// result is read only when its waiting request takes it. Once a pipe's segment is read to its end it goes back to the
/// pool, and the next line written can land in the same memory, so an answer was read with the bytes of the line after
/// it (a turn failed as "'h' is an invalid start of a value", 1 in ~300 000 under load). A line's own array lives as
/// long as its document.</remarks>
internal sealed class AcpMessageHandler(PipeWriter writer, PendingRequests pending)
    : NewLineDelimitedMessageHandler(writer, reader: null, new SystemTextJsonFormatter())
{
    /// <summary>Lines waiting for StreamJsonRpc's reader. Bounded so that an agent writing faster than they are read waits
    /// on its stdout, as it did on a pipe's pause threshold, instead of growing the service's memory.</summary>
    private const int WaitingLines = 16;

    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(WaitingLines) { SingleReader = true, SingleWriter = true });

    public override bool CanRead => true;

    /// <summary>Hands one line (a JSON-RPC message, without its newline) to the reader: copied, because the caller's
    /// buffer is reused as soon as this returns.</summary>
    public ValueTask AcceptAsync(ReadOnlyMemory<byte> line) => _lines.Writer.WriteAsync(line.ToArray());

    /// <summary>Stdout has ended: the reader ends after the lines already handed on.</summary>
    public void CompleteInbound() => _lines.Writer.TryComplete();

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (await _lines.Reader.WaitToReadAsync(cancellationToken))
        {
            if (_lines.Reader.TryRead(out var line))
            {
                return Formatter.Deserialize(new ReadOnlySequence<byte>(line));
            }
        }

        return null;
    }

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
