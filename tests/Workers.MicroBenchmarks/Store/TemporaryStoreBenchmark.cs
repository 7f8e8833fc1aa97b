using BenchmarkDotNet.Attributes;

namespace Workers.MicroBenchmarks.Store;

/// <summary>A benchmark of the SQLite store: each case gets a <see cref="TemporaryStore"/> of its own, empty at the start.</summary>
public abstract class TemporaryStoreBenchmark
{
    private TemporaryStore? _store;

    internal TemporaryStore Store => _store ?? throw new InvalidOperationException("The benchmark's global setup has not run.");

    [GlobalSetup]
    public async Task CreateStoreAsync() => _store = await TemporaryStore.CreateAsync();

    [GlobalCleanup]
    public async Task DeleteStoreAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
