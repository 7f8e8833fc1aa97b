using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Families;
using Workers.Processes;
using Workers.Turns;

namespace Workers.Tests.Families;

public sealed class StdoutFilterTests
{
    private const int MaxLineBytes = 4096;
    private const long MaxTurnOutputBytes = 16 * 1024 * 1024;

    private readonly Handler _handler = new();
    private readonly StdoutFilter _filter;

    public StdoutFilterTests()
    {
        _filter = new StdoutFilter(_handler, MaxLineBytes, MaxTurnOutputBytes, NullLogger.Instance, processId: 42);
    }

    private static AgentOutput Line(string text) => Line(Encoding.UTF8.GetBytes(text));

    private static AgentOutput Line(byte[] utf8) => AgentOutput.Line(utf8, utf8.Length);

    /// <summary>Takes <paramref name="line"/>, checks that nothing was handed on and no turn failed, and gives the
    /// events the running turn got.</summary>
    private async Task<IReadOnlyList<TurnEvent>> SkipAsync(string line)
    {
        await _filter.TakeAsync(Line(line));

        Assert.Empty(_handler.Objects);
        Assert.Empty(_handler.Failures);
        return _handler.Turn.Events;
    }

    private static string Nested(int depth) => new string('[', depth - 1).Insert(0, "{\"a\":") + "1" + new string(']', depth - 1) + "}";

    [Fact]
    public async Task OversizedLine_FailsTheTurnAsBroken_NamingSizeAndLimit()
    {
        await _filter.TakeAsync(AgentOutput.Oversized(200_000));

        var failure = Assert.Single(_handler.Failures);
        Assert.Equal("The agent wrote a 200000-byte line; the limit is 4096 (MaxLineBytes).", failure);
        Assert.Empty(_handler.Objects);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t \r")]
    public async Task BlankLine_IsSkippedWithoutNotice(string line) => Assert.Empty(await SkipAsync(line));

    [Theory]
    [InlineData("[{\"a\":1}]")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    [InlineData("{\"type\":\"assistant\",\"message\":{\"content\":[")]
    [InlineData("{\"a\":1}{\"b\":2}")]
    [InlineData("{\"a\":1} trailing")]
    [InlineData("not json at all")]
    public async Task LineThatIsNotOneJsonObject_IsSkippedWithAnUnparsableLineNotice(string line)
    {
        var notice = Assert.IsType<AgentNotice>(Assert.Single(await SkipAsync(line)));
        Assert.Equal("unparsable_line", notice.Code);
        Assert.Equal($"Skipped a line that is not a JSON object: {line}", notice.Message);
    }

    [Fact]
    public async Task JsonObjectTheFamilyCannotTake_IsSkippedWithANoticeNamingWhatItIsNot()
    {
        _handler.Refusal = "a JSON-RPC message: its id is neither a string, a 64-bit integer nor null";

        var notice = Assert.IsType<AgentNotice>(Assert.Single(await SkipAsync("{\"id\":1.5,\"result\":{}}")));
        Assert.Equal("unparsable_line", notice.Code);
        Assert.Equal("Skipped a line that is not a JSON-RPC message: its id is neither a string, a 64-bit integer nor null: "
            + "{\"id\":1.5,\"result\":{}}", notice.Message);
    }

    [Fact]
    public async Task UnparsableLine_NoticeShowsTheFirst120Characters()
    {
        var line = "x" + new string('y', 200);

        var notice = Assert.IsType<AgentNotice>(Assert.Single(await SkipAsync(line)));
        Assert.Equal($"Skipped a line that is not a JSON object: {line[..120]}…", notice.Message);
    }

    [Fact]
    public async Task UnparsableLine_WithNoTurnRunning_IsSkippedQuietly()
    {
        _handler.ActiveTurn = null;

        Assert.Empty(await SkipAsync("[1,2]"));
    }

    [Fact]
    public async Task SkippedLines_GetANoticeEachForTheFirstTen_ThenACountAtEveryPowerOfTen()
    {
        for (var i = 1; i <= 10_000; i++)
        {
            await _filter.TakeAsync(Line($"garbage {i}"));
        }

        var notices = _handler.Turn.Events.Cast<AgentNotice>().ToList();
        Assert.Equal(13, notices.Count);
        Assert.All(notices, n => Assert.Equal("unparsable_line", n.Code));
        Assert.Equal(
            Enumerable.Range(1, 10).Select(i => $"Skipped a line that is not a JSON object: garbage {i}"),
            notices.Take(10).Select(n => n.Message));
        Assert.Equal([100, 1000, 10_000], notices.Skip(10).Select(n => int.Parse(n.Message.Split(' ')[0], CultureInfo.InvariantCulture)));
        Assert.Equal("100 lines were skipped in this turn so far; after the first 10, they are counted at every power of ten.",
            notices[10].Message);
    }

    [Fact]
    public async Task SkippedLines_OfANewTurn_AreCountedAfresh()
    {
        for (var i = 0; i < 10; i++)
        {
            await _filter.TakeAsync(Line("garbage"));
        }

        var next = new RecordedTurn();
        _handler.ActiveTurn = next.Context;
        await _filter.TakeAsync(Line("garbage of the next turn"));

        var notice = Assert.IsType<AgentNotice>(Assert.Single(next.Events));
        Assert.Equal("Skipped a line that is not a JSON object: garbage of the next turn", notice.Message);
    }

    [Fact]
    public async Task TurnOutputPastTheLimit_FailsTheTurnOnce_AndTheRestOfThatTurnIsNotTaken()
    {
        var filter = new StdoutFilter(_handler, MaxLineBytes, 64 * 1024, NullLogger.Instance, processId: 42);
        var line = $"{{\"pad\":\"{new string('x', 1014)}\"}}"; // 1024 bytes: 64 fit the 64 KiB limit, the 65th does not

        for (var i = 0; i < 100; i++)
        {
            await filter.TakeAsync(Line(line));
        }

        Assert.Equal(64, _handler.Objects.Count);
        Assert.Equal("The agent wrote more than 65536 bytes of output in one turn (MaxTurnOutputBytes).", Assert.Single(_handler.Failures));

        // The next turn starts from nothing.
        _handler.ActiveTurn = new RecordedTurn().Context;
        await filter.TakeAsync(Line(line));
        Assert.Equal(65, _handler.Objects.Count);
    }

    [Fact]
    public async Task OutputWithNoTurnRunning_IsNotCounted()
    {
        _handler.ActiveTurn = null;
        var filter = new StdoutFilter(_handler, MaxLineBytes, 64 * 1024, NullLogger.Instance, processId: 42);
        var line = $"{{\"pad\":\"{new string('x', 1014)}\"}}";

        for (var i = 0; i < 100; i++)
        {
            await filter.TakeAsync(Line(line));
        }

        Assert.Equal(100, _handler.Objects.Count);
        Assert.Empty(_handler.Failures);
    }

    [Fact]
    public async Task JsonObject_IsPassedOnParsedAndAsItsUtf8Text()
    {
        const string line = "{\"type\":\"result\",\"text\":\"héllo\"}";

        await _filter.TakeAsync(Line(line));

        var (message, utf8) = Assert.Single(_handler.Objects);
        Assert.Equal("result", message.GetProperty("type").GetString());
        Assert.Equal("héllo", message.GetProperty("text").GetString());
        Assert.Equal(line, utf8);
        Assert.Empty(_handler.Turn.Events);
    }

    [Fact]
    public async Task JsonObject_WithBytesThatAreNotUtf8_IsPassedOnWithReplacementCharacters()
    {
        // "caf\xE9" (Latin-1) and a lone continuation byte: each undecodable byte becomes U+FFFD, in the parsed message and
        // in the UTF-8 handed on alike.
        byte[] line = [.. "{\"text\":\"caf"u8, 0xE9, (byte)' ', 0x80, .. "!\"}"u8];

        await _filter.TakeAsync(Line(line));

        var (message, utf8) = Assert.Single(_handler.Objects);
        Assert.Equal("caf\uFFFD \uFFFD!", message.GetProperty("text").GetString());
        Assert.Equal("{\"text\":\"caf\uFFFD \uFFFD!\"}", utf8);
    }

    [Theory]
    [InlineData("\u00A0\u00A0")]
    [InlineData(" \u3000\t")]
    [InlineData("\v\f")]
    public async Task LineOfUnicodeWhiteSpace_IsSkippedWithoutNotice(string line) => Assert.Empty(await SkipAsync(line));

    [Fact]
    public async Task RentedLine_IsPassedOnAsWritten()
    {
        const string line = "{\"type\":\"stream_event\",\"text\":\"héllo\"}";

        await _filter.TakeAsync(AgentOutput.RentedLine(Encoding.UTF8.GetBytes(line), Encoding.UTF8.GetByteCount(line)));

        Assert.Equal(line, Assert.Single(_handler.Objects).Utf8);
    }

    [Fact]
    public async Task JsonObject_WithSurroundingWhitespace_IsPassedOn()
    {
        await _filter.TakeAsync(Line("  {\"id\":1}  "));

        Assert.Equal(1, Assert.Single(_handler.Objects).Message.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task JsonObject_AtTheDepthLimit_IsPassedOn_AndOneLevelDeeperIsSkipped()
    {
        await _filter.TakeAsync(Line(Nested(StdoutFilter.MaxDepth)));
        await _filter.TakeAsync(Line(Nested(StdoutFilter.MaxDepth + 1)));

        Assert.Single(_handler.Objects);
        Assert.Equal("unparsable_line", Assert.IsType<AgentNotice>(Assert.Single(_handler.Turn.Events)).Code);
    }

    [Fact]
    public async Task Chunk_IsPassedOnAsRead_BlankOrNot()
    {
        await _filter.TakeAsync(AgentOutput.Chunk("partial {", 9));
        await _filter.TakeAsync(AgentOutput.Chunk("  ", 2));

        Assert.Equal(["partial {", "  "], _handler.Chunks);
        Assert.Empty(_handler.Objects);
        Assert.Empty(_handler.Turn.Events);
    }

    [Fact]
    public async Task HandlerThatThrows_FailsTheTurnAsBroken_AndTheNextLineIsStillTaken()
    {
        _handler.ThrowOnNextObject = new InvalidOperationException("decoder bug");

        await _filter.TakeAsync(Line("{\"n\":1}"));
        await _filter.TakeAsync(Line("{\"n\":2}"));

        Assert.Equal("Could not decode agent output: decoder bug", Assert.Single(_handler.Failures));
        Assert.Equal(2, Assert.Single(_handler.Objects).Message.GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task HandlerCancelled_IsNotTakenForADecodingFailure()
    {
        _handler.ThrowOnNextObject = new OperationCanceledException();

        await Assert.ThrowsAsync<OperationCanceledException>(() => _filter.TakeAsync(Line("{\"n\":1}")).AsTask());
        Assert.Empty(_handler.Failures);
    }

    [Fact]
    public async Task ReadAllAsync_TakesEveryRecordInOrder_UntilTheOutputEnds()
    {
        var output = Channel.CreateUnbounded<AgentOutput>();
        foreach (var record in new[] { Line("{\"n\":1}"), Line(""), Line("[]"), AgentOutput.Oversized(5000), Line("{\"n\":2}") })
        {
            await output.Writer.WriteAsync(record, TestContext.Current.CancellationToken);
        }

        output.Writer.Complete();
        await _filter.ReadAllAsync(output.Reader);

        Assert.Equal([1, 2], _handler.Objects.Select(o => o.Message.GetProperty("n").GetInt32()));
        Assert.Single(_handler.Failures);
        Assert.Single(_handler.Turn.Events);
    }

    /// <summary>Records what the filter hands on; each object is copied, as it is valid only during the call.</summary>
    private sealed class Handler : IStdoutHandler
    {
        public Handler()
        {
            ActiveTurn = Turn.Context;
        }

        public RecordedTurn Turn { get; } = new();

        public TurnContext? ActiveTurn { get; set; }

        public List<(JsonElement Message, string Utf8)> Objects { get; } = [];

        public List<string> Chunks { get; } = [];

        public List<string> Failures { get; } = [];

        public Exception? ThrowOnNextObject { get; set; }

        /// <summary>What <see cref="Unacceptable"/> answers: the family refuses every object when set.</summary>
        public string? Refusal { get; set; }

        public string? Unacceptable(JsonElement message) => Refusal;

        public ValueTask OnObjectAsync(JsonElement message, ReadOnlyMemory<byte> utf8)
        {
            if (ThrowOnNextObject is { } exception)
            {
                ThrowOnNextObject = null;
                throw exception;
            }

            Objects.Add((message.Clone(), Encoding.UTF8.GetString(utf8.Span)));
            return ValueTask.CompletedTask;
        }

        public void OnChunk(string text) => Chunks.Add(text);

        public void FailTurnAsBroken(string message) => Failures.Add(message);
    }
}
