using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc.Protocol;
using Workers.Families.Acp;

namespace Workers.Tests.Families.Acp;

/// <summary>The reading side of the ACP message handler, with StreamJsonRpc's own formatter: a message it has read keeps its
/// bytes until its result is taken, whatever arrives after it; stdout waits while more than the pause threshold of lines
/// are waiting, as it did on a pipe.</summary>
public sealed class AcpMessageHandlerTests
{
    private readonly AcpMessageHandler _handler = new(new Pipe().Writer, new PendingRequests());

    /// <summary>StreamJsonRpc takes a result from its document only when the waiting request runs, after the reader has
    /// moved on. Over a pipe, the next line was written into the memory the answer was parsed from, and the answer read as
    /// that line (this test failed that way: "hello world!").</summary>
    [Fact]
    public async Task AnAnswer_KeepsItsBytes_WhenTheNextLineArrivesBeforeItsResultIsTaken()
    {
        var line = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"result":{"text":"first answer"}}""");
        await _handler.AcceptAsync(line);
        var first = (JsonRpcResult)(await _handler.ReadAsync(TestContext.Current.CancellationToken))!;

        line.AsSpan().Fill((byte)'h');
        await _handler.AcceptAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":2,"result":{"text":"hello world!"}}"""));
        var second = (JsonRpcResult)(await _handler.ReadAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal("first answer", first.GetResult<JsonElement>().GetProperty("text").GetString());
        Assert.Equal("hello world!", second.GetResult<JsonElement>().GetProperty("text").GetString());
    }

    [Fact]
    public async Task TheReader_EndsAfterTheLinesHandedOn_WhenStdoutEnds()
    {
        await _handler.AcceptAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"ping","id":"a"}"""));
        _handler.CompleteInbound();

        var request = Assert.IsType<JsonRpcRequest>(await _handler.ReadAsync(TestContext.Current.CancellationToken), exactMatch: false);
        Assert.Equal("ping", request.Method);
        Assert.Null(await _handler.ReadAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Stdout_Waits_WhileMoreThanThePauseThresholdIsWaiting_UntilTheReaderTakesALine()
    {
        var line = Request(AcpMessageHandler.PauseBytes / 2 + 1);
        await _handler.AcceptAsync(line);
        await _handler.AcceptAsync(line);

        var third = _handler.AcceptAsync(line);

        Assert.False(third.IsCompleted);
        Assert.Equal(2 * line.Length, _handler.WaitingBytes);
        Assert.IsType<JsonRpcRequest>(await _handler.ReadAsync(TestContext.Current.CancellationToken), exactMatch: false);
        await third.AsTask().WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2 * line.Length, _handler.WaitingBytes);
    }

    [Fact]
    public async Task AWaitingStdout_IsLetGo_WhenTheConnectionIsDisposed()
    {
        var line = Request(AcpMessageHandler.PauseBytes + 1);
        await _handler.AcceptAsync(line);
        var second = _handler.AcceptAsync(line);
        Assert.False(second.IsCompleted);

        await _handler.DisposeAsync();

        await second.AsTask().WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(line.Length, _handler.WaitingBytes);
    }

    /// <summary>A request line of about <paramref name="bytes"/> bytes.</summary>
    private static byte[] Request(long bytes) =>
        Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","method":"fs/read_text_file","id":1,"params":{"pad":""" + "\"" + new string('x', (int)bytes) + "\"}}");
}
