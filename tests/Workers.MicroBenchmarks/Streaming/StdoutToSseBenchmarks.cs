using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Workers.Api;
using Workers.MicroBenchmarks.Decoding;
using Workers.MicroBenchmarks.Store;
using Workers.Processes;
using Workers.Service;
using Workers.Store;

namespace Workers.MicroBenchmarks.Streaming;

/// <summary>The whole hot path of one Claude text delta: its line as bytes on the agent's stdout, cut by
/// <c>LineSplitter</c>, through the <c>StdoutFilter</c> and the family's connection into the running turn, to the service's
/// <c>StoreEventSink</c> (kept for the store and published to the live feed), until one SSE reader
/// (<c>TurnEventStream</c> + <c>ServerSentEventsResult</c>, into a response that discards its body) has written its frame.
/// One invocation feeds <see cref="LinesPerOperation"/> lines and waits for as many frames; the figures are per line. The
/// sink's batch writer runs as in production (every 100 ms into a real SQLite file), so the allocations include the
/// store's share of the writes made while the lines were measured; the time includes waking the reader.</summary>
[MemoryDiagnoser]
public class StdoutToSseBenchmarks
{
    private const int LinesPerOperation = 1000;
    private const string Family = "claude-stream-json";

    private static readonly TimeSpan FlushInterval = new ServiceOptions().EventFlushInterval;

    private readonly CancellationTokenSource _disconnect = new();
    private readonly WrittenFrames _frames = new();
    private TemporaryStore _store = null!;
    private StoreEventSink _sink = null!;
    private RunningTurn _running = null!;
    private Task _response = Task.CompletedTask;
    private byte[] _oneLine = [];
    private byte[] _lines = [];

    [GlobalSetup]
    public async Task StartTurnAsync()
    {
        _store = await TemporaryStore.CreateAsync();
        var turn = _store.NextTurn();
        await _store.Sqlite.EnqueueAsync(turn, CancellationToken.None);
        var claimed = await _store.Sqlite.ClaimAsync(new ClaimRequest("micro-benchmark", TimeSpan.FromHours(1), null, [], MaxAttempts: 1),
                TimeProvider.System.GetUtcNow(), CancellationToken.None)
            ?? throw new InvalidOperationException("The benchmark's turn was not claimed.");
        var hub = new TurnEventHub();
        // No bound on the events waiting for the store: a benchmark run outpaces any store, and the sink would stop the turn.
        _sink = new StoreEventSink(_store.Sqlite, hub, claimed.Lease, TimeProvider.System, FlushInterval, 0,
            new StoreEventSink.Limits(TimeSpan.FromHours(1), int.MaxValue));
        _running = await RunningTurn.StartAsync(Family, _sink);
        var line = AgentLines.ClaudeTextDelta(_running.SessionId!) + "\n";
        _oneLine = Encoding.UTF8.GetBytes(line);
        _lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(line, LinesPerOperation)));

        var stream = new TurnEventStream(_store.Sqlite, hub);
        var response = new ServerSentEventsResult(_frames.Counted(stream.ReadAsync(turn.Id, 0, _disconnect.Token)),
            TimeSpan.FromSeconds(15), TimeProvider.System);
        var context = new DefaultHttpContext { RequestAborted = _disconnect.Token };
        _response = Task.Run(() => response.ExecuteAsync(context));

        // One line first: the reader is connected once it has written its frame, and a line that reached no reader would
        // measure nothing.
        var written = _frames.Expect(1);
        await FeedAsync(_oneLine);
        await written.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [GlobalCleanup]
    public async Task StopAsync()
    {
        await _disconnect.CancelAsync();
        await _response.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _running.DisposeAsync();
        await _sink.DisposeAsync();
        await _store.DisposeAsync();
        _disconnect.Dispose();
    }

    [Benchmark(OperationsPerInvoke = LinesPerOperation)]
    public async Task LineToSseFrame()
    {
        var written = _frames.Expect(LinesPerOperation);
        await FeedAsync(_lines);
        await written;
    }

    /// <summary>Hands <paramref name="stdout"/> to the turn as the agent process's reader does with what the agent wrote.</summary>
    private async Task FeedAsync(byte[] stdout)
    {
        using var stream = new MemoryStream(stdout, writable: false);
        await LineSplitter.SplitAsync(stream, int.MaxValue, (output, _) => _running.Filter.TakeAsync(output), CancellationToken.None);
    }
}
