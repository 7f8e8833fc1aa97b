using BenchmarkDotNet.Attributes;
using Workers.Store;

namespace Workers.MicroBenchmarks.Store;

/// <summary>One dispatcher's claim of the next queued turn from the SQLite store (the claim rule's query, the lease and the
/// run record: one synced write transaction). Each claim needs a turn waiting, so every iteration first enqueues exactly as
/// many as it will claim, outside the measurement; a fixed invocation count is what makes that possible. The turns claimed
/// stay running, as a busy worker's do.</summary>
[MemoryDiagnoser]
[InvocationCount(ClaimsPerIteration)]
public class StoreClaimBenchmarks : TemporaryStoreBenchmark
{
    private const int ClaimsPerIteration = 256;

    private readonly ClaimRequest _request = new("micro-benchmark", TimeSpan.FromHours(1), null, [], MaxAttempts: 3);

    [IterationSetup]
    public void EnqueueTurnsToClaim()
    {
        for (var i = 0; i < ClaimsPerIteration; i++)
        {
            Store.Sqlite.EnqueueAsync(Store.NextTurn(), CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    [Benchmark]
    public async Task<ClaimedTurn> Claim() =>
        await Store.Sqlite.ClaimAsync(_request, TimeProvider.System.GetUtcNow(), CancellationToken.None)
            ?? throw new InvalidOperationException("No turn was waiting to be claimed.");
}
