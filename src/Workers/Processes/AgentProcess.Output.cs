using System.Text;

namespace Workers.Processes;

/// <summary>Reading the agent's pipes: stdout cut into lines (capped at <c>MaxLineBytes</c>) or passed on as chunks, in
/// order, into a bounded channel that the family's reader drains; stderr into the bounded tail used in failure records.</summary>
public sealed partial class AgentProcess
{
    private async Task ReadStdoutAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            if (_spec.Framing == OutputFraming.Lines)
            {
                await LineSplitter.SplitAsync(stream, _spec.MaxLineBytes, WriteOutputAsync, cancellationToken);
            }
            else
            {
                await ReadChunksAsync(stream, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The pipe broke because the process was killed: its output ends here.
        }
        finally
        {
            _stdout.Writer.TryComplete();
        }
    }

    private ValueTask WriteOutputAsync(AgentOutput output, CancellationToken cancellationToken) =>
        _stdout.Writer.WriteAsync(output, cancellationToken);

    private async Task ReadChunksAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[ReadBufferBytes];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        var decoder = Encoding.UTF8.GetDecoder();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var count = decoder.GetChars(buffer, 0, read, chars, 0);
            await WriteOutputAsync(AgentOutput.Chunk(new string(chars, 0, count), read), cancellationToken);
        }
    }

    private async Task ReadStderrAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        var decoder = Encoding.UTF8.GetDecoder();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                var count = decoder.GetChars(buffer, 0, read, chars, 0);
                Stderr.Append(new string(chars, 0, count), read);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // Killed: nothing more to read.
        }
    }
}
