using System.Text;
using Workers.Families.Acp;

namespace Workers.Tests.Families.Acp;

/// <summary>The part of a file an <c>fs/read_text_file</c> returns, read with bounded memory: the same text the whole-file
/// read and line splitting gave before, an answer of at most <c>MaxFileReadBytes</c> (UTF-8), reading that stops as soon as
/// the answer would pass it, and lines before the range scanned without being held.</summary>
public sealed class TextReadTests
{
    private const long Unbounded = long.MaxValue;

    /// <summary>What the read answered before it was bounded: the whole text, or its lines (split as
    /// <see cref="StringReader.ReadLine"/> splits them) from <c>line</c>, <c>limit</c> of them, joined with \n.</summary>
    private static string Before(string text, long? line, long? limit)
    {
        if (line is null && limit is null)
        {
            return text;
        }

        var lines = new List<string>();
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } read)
        {
            lines.Add(read);
        }

        IEnumerable<string> taken = lines;
        if (line is > 1)
        {
            taken = taken.Skip((int)line - 1);
        }

        if (limit is >= 0)
        {
            taken = taken.Take((int)limit);
        }

        return string.Join('\n', taken);
    }

    [Fact]
    public void Answer_IsWhatTheUnboundedReadGave_ForEveryShapeOfText()
    {
        // Texts of words, empty lines and every line end, across the reader's 16 K buffer; every line and limit around them.
        var random = new Random(12);
        string[] ends = ["\n", "\r", "\r\n", "\n\n", "\r\r\n"];
        for (var sample = 0; sample < 300; sample++)
        {
            var text = new StringBuilder();
            var length = random.Next(0, 3) == 0 ? random.Next(0, 40) : random.Next(15_000, 40_000);
            while (text.Length < length)
            {
                text.Append(random.Next(0, 4) == 0
                    ? ends[random.Next(ends.Length)]
                    : new string((char)('a' + random.Next(26)), random.Next(1, 300)));
            }

            (long?, long?)[] asked = [(null, null), (1, null), (null, 0), (null, 2), (random.Next(0, 60), random.Next(-1, 60)),
                (random.Next(0, 400), null), (3, 1), (int.MaxValue, 5)];
            foreach (var (line, limit) in asked)
            {
                var read = new TextRead(line, limit, Unbounded).From(new StringReader(text.ToString()));

                Assert.True(Before(text.ToString(), line, limit) == read, $"sample {sample}, line {line}, limit {limit}");
            }
        }
    }

    /// <summary>The unbounded read cast <c>line</c> to an int: a line past 2^31 wrapped round and gave the first lines.</summary>
    [Fact]
    public void Range_PastTheEnd_IsEmpty_EvenForALineNumberNoIntHolds() =>
        Assert.Equal("", new TextRead(long.MaxValue, 5, Unbounded).From(new StringReader("a\nb\n")));

    [Theory]
    [InlineData("abcd", 4, true)]
    [InlineData("abcde", 4, false)]
    [InlineData("éé", 4, true)]
    [InlineData("ééx", 4, false)]
    public void WholeFile_UpToTheLimitInUtf8Bytes_IsReturned_AndOneByteMoreIsNot(string text, long maxBytes, bool returned) =>
        Assert.Equal(returned ? text : null, new TextRead(null, null, maxBytes).From(new StringReader(text)));

    [Fact]
    public void Range_FarPastTheLimit_IsReached_BecauseSkippedLinesAreNotHeld()
    {
        var text = string.Concat(Enumerable.Range(1, 100).Select(i => $"{i:000}{new string('x', 97)}\n"));

        Assert.Equal($"090{new string('x', 97)}", new TextRead(90, 1, 150).From(new StringReader(text)));
        Assert.Null(new TextRead(90, 2, 150).From(new StringReader(text)));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(1L, 1L)]
    [InlineData(1L, null)]
    public void EndlessText_IsGivenUpOnOnceTheAnswerPassesTheLimit_ReadingAtMostOneBufferMore(long? line, long? limit)
    {
        var endless = new EndlessReader("x");

        Assert.Null(new TextRead(line, limit, 1024 * 1024).From(endless));
        Assert.InRange(endless.CharsRead, 1024 * 1024, (1024 * 1024) + (16 * 1024));
    }

    [Fact]
    public void EndlessText_OfShortLines_StopsOnceTheLinesAskedForAreRead()
    {
        var endless = new EndlessReader("ab\n");

        Assert.Equal("ab\nab\nab", new TextRead(1, 3, 1024).From(endless));
        Assert.InRange(endless.CharsRead, 9, 16 * 1024);
    }

    /// <summary>A text without end, as a 2 GB sparse file or a device is to a reader: it counts what was taken from it.</summary>
    private sealed class EndlessReader(string unit) : TextReader
    {
        public long CharsRead { get; private set; }

        public override int Read(Span<char> buffer)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = unit[(int)((CharsRead + i) % unit.Length)];
            }

            CharsRead += buffer.Length;
            return buffer.Length;
        }
    }
}
