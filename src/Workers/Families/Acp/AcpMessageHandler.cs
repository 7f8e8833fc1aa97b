using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Threading.Channels;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace Workers.Families.Acp;

/// <summary>Newline-delimited JSON-RPC as ACP speaks it: messages are written to the agent's stdin, and read from the lines
/// the stdout filter hands on (<see cref="AcceptAsync"/>), each in an array of its own, at most
/// <see cref="PauseBytes"/> of them waiting. Noted too: the id of every request
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
    /// <summary>Bytes of lines waiting for StreamJsonRpc's reader past which stdout waits until it has taken them back
    /// below: a pipe's default pause threshold, which bounded them before. An agent writing faster than they are read
    /// (a flood of requests, each line up to <c>MaxLineBytes</c>) then holds up its own stdout instead of growing the
    /// service's memory.</summary>
    public const long PauseBytes = 64 * 1024;

    private readonly Channel<byte[]> _lines = Channel.CreateUnbounded<byte[]>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Released by the reader, once, when it takes the waiting bytes back to <see cref="PauseBytes"/> or below
    /// while the writer waits (<see cref="_writerWaits"/>), and when the reader is gone.</summary>
    private readonly SemaphoreSlim _room = new(0, int.MaxValue);

    private long _waitingBytes;
    private int _writerWaits;
    private volatile bool _readerGone;

    public override bool CanRead => true;

    /// <summary>Bytes of lines handed on that the reader has not taken yet.</summary>
    public long WaitingBytes => Interlocked.Read(ref _waitingBytes);

    /// <summary>Hands one line (a JSON-RPC message, without its newline) to the reader: copied, because the caller's
    /// buffer is reused as soon as this returns. Waits first while more than <see cref="PauseBytes"/> are waiting; once
    /// the reader is gone (the connection was disposed) the line is dropped, as a completed pipe dropped it.</summary>
    public async ValueTask AcceptAsync(ReadOnlyMemory<byte> line)
    {
        while (Interlocked.Read(ref _waitingBytes) > PauseBytes && !_readerGone)
        {
            Volatile.Write(ref _writerWaits, 1);
            // Looked at again after saying so: the reader may have taken the bytes below before it could see the flag.
            if (Interlocked.Read(ref _waitingBytes) <= PauseBytes || _readerGone)
            {
                break;
            }

            await _room.WaitAsync();
        }

        if (_readerGone)
        {
            return;
        }

        Interlocked.Add(ref _waitingBytes, line.Length);
        _lines.Writer.TryWrite(line.ToArray());
    }

    /// <summary>Stdout has ended: the reader ends after the lines already handed on.</summary>
    public void CompleteInbound() => _lines.Writer.TryComplete();

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (await _lines.Reader.WaitToReadAsync(cancellationToken))
        {
            if (_lines.Reader.TryRead(out var line))
            {
                if (Interlocked.Add(ref _waitingBytes, -line.Length) <= PauseBytes && Interlocked.Exchange(ref _writerWaits, 0) == 1)
                {
                    _room.Release();
                }

                return Formatter.Deserialize(new ReadOnlySequence<byte>(line));
            }
        }

        return null;
    }

    protected override void DisposeReader()
    {
        _readerGone = true;
        _room.Release();
        base.DisposeReader();
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
