using System.Buffers;

namespace Workers.Processes;

/// <summary>Cuts a byte stream into newline-delimited lines without ever buffering more than the cap:
/// a longer line is skipped to its newline and reported by size only. Each line is handed on in a rented buffer
/// (<see cref="AgentOutput.RentedLine"/>) that its taker returns.</summary>
internal static class LineSplitter
{
    private const int ReadBufferBytes = 64 * 1024;

    public static async Task SplitAsync(
        Stream stream,
        int maxLineBytes,
        Func<AgentOutput, CancellationToken, ValueTask> onOutput,
        CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
        var line = new ArrayBufferWriter<byte>(4096);
        long oversizedBytes = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, ReadBufferBytes), cancellationToken)) > 0)
            {
                var span = buffer.AsMemory(0, read);
                while (!span.IsEmpty)
                {
                    var newline = span.Span.IndexOf((byte)'\n');
                    var piece = newline < 0 ? span : span[..newline];
                    if (oversizedBytes > 0 || line.WrittenCount + piece.Length > maxLineBytes)
                    {
                        oversizedBytes += line.WrittenCount + piece.Length;
                        line.Clear();
                    }
                    else
                    {
                        line.Write(piece.Span);
                    }

                    if (newline < 0)
                    {
                        break;
                    }

                    await EmitAsync(line, oversizedBytes, onOutput, cancellationToken);
                    oversizedBytes = 0;
                    span = span[(newline + 1)..];
                }
            }

            if (line.WrittenCount > 0 || oversizedBytes > 0)
            {
                await EmitAsync(line, oversizedBytes, onOutput, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask EmitAsync(
        ArrayBufferWriter<byte> line,
        long oversizedBytes,
        Func<AgentOutput, CancellationToken, ValueTask> onOutput,
        CancellationToken cancellationToken)
    {
        if (oversizedBytes > 0)
        {
            await onOutput(AgentOutput.Oversized(oversizedBytes), cancellationToken);
            return;
        }

        var bytes = line.WrittenSpan;
        if (!bytes.IsEmpty && bytes[^1] == (byte)'\r')
        {
            bytes = bytes[..^1];
        }

        // Copied out as bytes: the line's reader parses them, and `line` takes the next line at once.
        var output = AgentOutput.RentedLine(bytes, line.WrittenCount);
        line.Clear();
        await onOutput(output, cancellationToken);
    }
}
