using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Workers.Logging;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Families;

/// <summary>What of an agent's stdout reaches its family's protocol, one record at a time in stdout order. One type for
/// the stdio families' read loop and the ACP filter alike, because each rule is a promise that holds whatever the family:
/// a line over <c>MaxLineBytes</c> breaks the protocol (the turn fails as <c>protocol_error</c>, the process gets no
/// further turn); blank lines are skipped; a line that is not one JSON object, or one its family cannot take at all
/// (<see cref="IStdoutHandler.Unacceptable"/>), is skipped with an <c>unparsable_line</c> notice (the ACP SDKs and the
/// Claude SDK skip what they cannot parse, and StreamJsonRpc would drop its connection), the notices of a turn bounded;
/// a turn's stdout past <c>MaxTurnOutputBytes</c> breaks the protocol too, and the rest of that turn's stdout is not taken
/// (<see cref="TurnOutputAccount"/>); and a handler that throws fails the turn as broken instead of ending the read, which
/// would leave the turn hanging.</summary>
internal sealed partial class StdoutFilter(IStdoutHandler handler, int maxLineBytes, long maxTurnOutputBytes, ILogger logger, int processId)
{
    /// <summary>The deepest nesting a line may have to be passed on: the default of <see cref="JsonDocument"/>, which is
    /// what the stdio families decode with and what StreamJsonRpc parses ACP messages with.</summary>
    public const int MaxDepth = 64;

    private const int PreviewLength = 120;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = MaxDepth };

    private readonly TurnOutputAccount _account = new(maxTurnOutputBytes);

    /// <summary>Takes every record until the output ends.</summary>
    public async Task ReadAllAsync(ChannelReader<AgentOutput> output)
    {
        await foreach (var record in output.ReadAllAsync())
        {
            await TakeAsync(record);
        }
    }

    /// <summary>Takes one record; the handler is done with it when this completes, and a rented line's buffer is returned
    /// then (<see cref="AgentOutput.ReturnBuffer"/>).</summary>
    public async ValueTask TakeAsync(AgentOutput output)
    {
        try
        {
            await TakeOwnedAsync(output);
        }
        finally
        {
            output.ReturnBuffer();
        }
    }

    private async ValueTask TakeOwnedAsync(AgentOutput output)
    {
        switch (_account.Add(handler.ActiveTurn, output.Bytes))
        {
            // An oversized line is named as such below, whatever else it exceeds.
            case TurnOutputAccount.Charge.Exceeded when output.Kind != AgentOutputKind.OversizedLine:
                handler.FailTurnAsBroken(
                    $"The agent wrote more than {maxTurnOutputBytes} bytes of output in one turn (MaxTurnOutputBytes).");
                return;
            case TurnOutputAccount.Charge.Refused:
                return;
        }

        try
        {
            switch (output.Kind)
            {
                case AgentOutputKind.Chunk:
                    handler.OnChunk(output.Text);
                    break;
                case AgentOutputKind.OversizedLine:
                    handler.FailTurnAsBroken($"The agent wrote a {output.Bytes}-byte line; the limit is {maxLineBytes} (MaxLineBytes).");
                    break;
                default:
                    await TakeLineAsync(output.Utf8);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A decoding bug must fail the turn, not kill the read and hang it.
            LogDecodeFailed(logger, processId, ex);
            handler.FailTurnAsBroken($"Could not decode agent output: {ex.Message}");
        }
    }

    /// <summary>A line that begins as a JSON object and is valid UTF-8, the line of every protocol, is parsed from the bytes
    /// the agent wrote. Any other line is decoded to text first, as every line once was, so that what is skipped and what
    /// is passed on stays the same: a line of white space (.NET's idea of it, which is wider than JSON's) is skipped without
    /// a word, and bytes that are not UTF-8 become U+FFFD (<c>specs/security.md</c>, "Hostile agents") instead of failing
    /// the parse.</summary>
    private ValueTask TakeLineAsync(ReadOnlyMemory<byte> line)
    {
        if (BeginsAnObject(line.Span) && Utf8.IsValid(line.Span))
        {
            return TakeUtf8Async(line);
        }

        var text = Encoding.UTF8.GetString(line.Span);
        return string.IsNullOrWhiteSpace(text) ? ValueTask.CompletedTask : TakeUtf8Async(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>True when the first byte after JSON white space is the <c>{</c> of an object.</summary>
    private static bool BeginsAnObject(ReadOnlySpan<byte> line)
    {
        var start = line.IndexOfAnyExcept(" \t\r\n"u8);
        return start >= 0 && line[start] == (byte)'{';
    }

    /// <summary>Parses a line of valid UTF-8 and hands it on, or skips it with a notice.</summary>
    private async ValueTask TakeUtf8Async(ReadOnlyMemory<byte> utf8)
    {
        using var document = ParseObject(utf8);
        if ((document is null ? "a JSON object" : handler.Unacceptable(document.RootElement)) is { } expected)
        {
            Skip(expected, utf8);
            return;
        }

        await handler.OnObjectAsync(document!.RootElement, utf8);
    }

    /// <summary>Skips a line with a notice, within the turn's bound on notices. (A method of its own: the notice's closure
    /// is then allocated for a skipped line only, not for every line taken.)</summary>
    private void Skip(string expected, ReadOnlyMemory<byte> utf8)
    {
        var turn = handler.ActiveTurn;
        if (_account.Skipped(turn, () => Notice(expected, Encoding.UTF8.GetString(utf8.Span))) is { } notice)
        {
            turn!.Emit(notice);
        }
    }

    private static AgentNotice Notice(string expected, string line)
    {
        var preview = line.Length > PreviewLength ? line[..PreviewLength] + "…" : line;
        return new AgentNotice("unparsable_line", $"Skipped a line that is not {expected}: {preview}");
    }

    /// <summary>The line as a document when it is exactly one JSON object (no trailing value), else null.</summary>
    private static JsonDocument? ParseObject(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, ParseOptions);
        }
        catch (JsonException)
        {
            return null;
        }

        if (document.RootElement.ValueKind == JsonValueKind.Object)
        {
            return document;
        }

        document.Dispose();
        return null;
    }

    [LoggerMessage(EventId = EventIds.Families + 2, Level = LogLevel.Warning, Message = "Decoding output of agent process {ProcessId} failed")]
    private static partial void LogDecodeFailed(ILogger logger, int processId, Exception exception);
}
