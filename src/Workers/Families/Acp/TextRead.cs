using System.Text;

namespace Workers.Families.Acp;

/// <summary>What an <c>fs/read_text_file</c> asks of a file — all of it, or <paramref name="Limit"/> lines from
/// <paramref name="Line"/> (1-based; lines end at <c>\n</c>, <c>\r</c> or <c>\r\n</c> and are joined with <c>\n</c>) — read
/// with bounded memory: the answer may hold at most <paramref name="MaxBytes"/> bytes of UTF-8 (<c>MaxFileReadBytes</c>), and
/// reading stops as soon as it would hold more. Lines before the range are scanned through a fixed buffer, never held, so
/// an agent can page through a file of any size while none of it is held whole (<c>specs/security.md</c>, "Hostile
/// agents").</summary>
/// <param name="Line">The first line wanted; null or below 1: the first.</param>
/// <param name="Limit">How many lines; null or negative: to the end.</param>
/// <param name="MaxBytes">The most the answer may hold, in UTF-8 bytes.</param>
internal sealed record TextRead(long? Line, long? Limit, long MaxBytes)
{
    private const int BufferChars = 16 * 1024;

    /// <summary>Whether the whole file is asked for, as it is (no line splitting).</summary>
    public bool Whole => Line is null && Limit is null;

    /// <returns>The text asked for, or null when it would hold more than <see cref="MaxBytes"/>.</returns>
    public string? From(TextReader reader) => Whole ? ReadWhole(reader) : ReadLines(reader);

    private string? ReadWhole(TextReader reader)
    {
        var answer = new Answer(MaxBytes);
        var buffer = new char[BufferChars];
        int read;
        while ((read = reader.Read(buffer)) > 0)
        {
            if (!answer.Append(buffer.AsSpan(0, read)))
            {
                return null;
            }
        }

        return answer.ToString();
    }

    private string? ReadLines(TextReader reader)
    {
        var first = Math.Max(1, Line ?? 1);
        var wanted = Limit is { } limit and >= 0 ? limit : long.MaxValue;
        var answer = new Answer(MaxBytes);
        var buffer = new char[BufferChars];
        long line = 1;
        long taken = 0;
        var lineStarted = false;
        var afterCarriageReturn = false;
        int read;
        while (taken < wanted && (read = reader.Read(buffer)) > 0)
        {
            var chunk = buffer.AsSpan(0, read);
            var start = 0;
            for (var i = 0; i < chunk.Length && taken < wanted; i++)
            {
                var c = chunk[i];
                if (afterCarriageReturn && c == '\n')
                {
                    // The \n of a \r\n: the line already ended at the \r.
                    afterCarriageReturn = false;
                    start = i + 1;
                    continue;
                }

                afterCarriageReturn = c == '\r';
                if (c is not ('\n' or '\r'))
                {
                    lineStarted = true;
                    continue;
                }

                if (line >= first && !(answer.StartLine(taken) && answer.Append(chunk[start..i])))
                {
                    return null;
                }

                taken += line >= first ? 1 : 0;
                (line, lineStarted, start) = (line + 1, false, i + 1);
            }

            if (taken < wanted && line >= first && start < chunk.Length && !(answer.StartLine(taken) && answer.Append(chunk[start..])))
            {
                return null;
            }
        }

        // A last line without its end is a line too; an end at the very end of the file starts none.
        return taken < wanted && line >= first && lineStarted && !answer.StartLine(taken) ? null : answer.ToString();
    }

    /// <summary>The answer so far, with its size in UTF-8 bytes bounded.</summary>
    private sealed class Answer(long maxBytes)
    {
        private readonly StringBuilder _text = new();
        private long _bytes;
        private long _linesStarted = -1;

        /// <summary>Begins line number <paramref name="taken"/> (0-based) of the answer, once: a \n before every line but the
        /// first.</summary>
        public bool StartLine(long taken)
        {
            if (_linesStarted == taken)
            {
                return true;
            }

            _linesStarted = taken;
            return taken == 0 || Append("\n");
        }

        public bool Append(ReadOnlySpan<char> text)
        {
            _bytes += Encoding.UTF8.GetByteCount(text);
            if (_bytes > maxBytes)
            {
                return false;
            }

            _text.Append(text);
            return true;
        }

        public override string ToString() => _text.ToString();
    }
}
