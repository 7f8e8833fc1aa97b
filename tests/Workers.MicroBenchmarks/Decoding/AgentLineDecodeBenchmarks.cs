using System.Text;
using BenchmarkDotNet.Attributes;
using Workers.Processes;

namespace Workers.MicroBenchmarks.Decoding;

/// <summary>One piece of model text from the agent's stdout to the turn's <c>TextDelta</c>, per family: the line as the
/// process's reader hands it on (<c>Processes/LineSplitter.cs</c>: UTF-8 bytes since 2026-12-03, a string before), through the shared
/// <c>StdoutFilter</c> (parse) and the family's connection (decode) to <c>TurnContext.EmitText</c>. The per-operation
/// figures include the turn keeping its text (<c>TurnContext.Text</c>), as every real turn does. Each iteration decodes into a
/// turn of its own, on a new agent process started outside the measurement: a turn keeps all its text, so one turn fed a whole
/// run would hold gigabytes; a fixed invocation count is what makes a setup per iteration possible.</summary>
[MemoryDiagnoser]
[InvocationCount(LinesPerTurn)]
public class AgentLineDecodeBenchmarks
{
    private const int LinesPerTurn = 100_000;

    private RunningTurn? _running;
    private DiscardingSink _sink = new();
    private AgentOutput _output;

    [Params("claude-stream-json", "acp-json-rpc", "json-event-stream", "plain")]
    public string Family { get; set; } = "";

    [IterationSetup]
    public void StartTurn()
    {
        _running?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sink = new DiscardingSink();
        _running = RunningTurn.StartAsync(Family, _sink).GetAwaiter().GetResult();
        _output = Family switch
        {
            "claude-stream-json" => Line(AgentLines.ClaudeTextDelta(_running.SessionId!)),
            "acp-json-rpc" => Line(AgentLines.AcpMessageChunk(_running.SessionId!)),
            "json-event-stream" => Line(AgentLines.CodexAgentMessage()),
            _ => AgentOutput.Chunk(AgentLines.Token, Encoding.UTF8.GetByteCount(AgentLines.Token)),
        };

        // A line the family does not decode into the turn would measure a skip, not a decode.
        _running.Filter.TakeAsync(_output).AsTask().GetAwaiter().GetResult();
        if (_sink.Events != 1)
        {
            throw new InvalidOperationException($"The {Family} line was not decoded into one event of the running turn.");
        }
    }

    [GlobalCleanup]
    public async Task StopAsync()
    {
        if (_running is not null)
        {
            await _running.DisposeAsync();
        }
    }

    [Benchmark]
    public ValueTask DecodeTextDelta() => _running!.Filter.TakeAsync(_output);

    // The benchmark's own bytes, not a rented buffer: the same line is taken again and again.
    private static AgentOutput Line(string text) => AgentOutput.Line(Encoding.UTF8.GetBytes(text), Encoding.UTF8.GetByteCount(text));
}
