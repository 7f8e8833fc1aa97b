using BenchmarkDotNet.Attributes;
using Workers.Store;

namespace Workers.MicroBenchmarks.Store;

/// <summary>One producer's enqueue of a new turn into the SQLite store: one synced write transaction, alone (no other
/// caller to share it with).</summary>
[MemoryDiagnoser]
public class StoreEnqueueBenchmarks
{
    private TemporaryStore _store = null!;

    [GlobalSetup]
    public async Task CreateStoreAsync() => _store = await TemporaryStore.CreateAsync();

    [GlobalCleanup]
    public async Task DeleteStoreAsync() => await _store.DisposeAsync();

    [Benchmark]
    public async Task<EnqueueOutcome> Enqueue() => (await _store.Store.EnqueueAsync(_store.NextTurn(), CancellationToken.None)).Outcome;
}
