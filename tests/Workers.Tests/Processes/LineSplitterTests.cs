using System.Text;
using Workers.Processes;

namespace Workers.Tests.Processes;

public sealed class LineSplitterTests
{
    private static async Task<List<AgentOutput>> SplitAsync(string text, int cap)
    {
        var outputs = new List<AgentOutput>();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await LineSplitter.SplitAsync(stream, cap, (o, _) =>
        {
            outputs.Add(o);
            return ValueTask.CompletedTask;
        }, TestContext.Current.CancellationToken);
        return outputs;
    }

    private static string Text(AgentOutput line) => Encoding.UTF8.GetString(line.Utf8.Span);

    [Fact]
    public async Task SplitAsync_CutsAtNewlinesAndStripsCarriageReturns()
    {
        var outputs = await SplitAsync("{\"a\":1}\r\n{\"b\":2}\nlast", 1024);

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "last"], outputs.Select(Text));
        Assert.All(outputs, o => Assert.Equal(AgentOutputKind.Line, o.Kind));
    }

    [Fact]
    public async Task SplitAsync_LineOverTheCap_IsReportedBySizeAndTheNextLineSurvives()
    {
        var outputs = await SplitAsync(new string('x', 5000) + "\nok\n", 1024);

        Assert.Equal(2, outputs.Count);
        Assert.Equal(AgentOutputKind.OversizedLine, outputs[0].Kind);
        Assert.Equal(5000, outputs[0].Bytes);
        Assert.Equal("ok", Text(outputs[1]));
    }

    [Fact]
    public async Task SplitAsync_MultiByteCharacters_AreDecodedWhole()
    {
        var outputs = await SplitAsync("héllo · wörld\n", 1024);

        Assert.Equal("héllo · wörld", Text(Assert.Single(outputs)));
    }
}
