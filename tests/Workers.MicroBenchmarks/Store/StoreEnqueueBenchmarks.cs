using BenchmarkDotNet.Attributes;
using Workers.Store;

namespace Workers.MicroBenchmarks.Store;

/// <summary>One producer's enqueue of a new turn into the SQLite store: one synced write transaction, alone (no other
/// caller to share it with).</summary>
[MemoryDiagnoser]
public class StoreEnqueueBenchmarks : TemporaryStoreBenchmark
{
    [Benchmark]
    public async Task<EnqueueOutcome> Enqueue() => (await Store.Sqlite.EnqueueAsync(Store.NextTurn(), CancellationToken.None)).Outcome;
}
