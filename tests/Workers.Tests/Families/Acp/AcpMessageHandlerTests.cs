using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using StreamJsonRpc.Protocol;
using Workers.Families.Acp;

namespace Workers.Tests.Families.Acp;

/// <summary>The reading side of the ACP message handler, with StreamJsonRpc's own formatter: a message it has read keeps its
/// bytes until its result is taken, whatever arrives after it.</summary>
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
}
