using System.Globalization;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.MicroBenchmarks.Store;

/// <summary>A <see cref="SqliteTurnStore"/> on a file in a fresh temporary directory (on the same disk as a real data
/// directory, so its syncs cost what they cost there), deleted on dispose; and the turns to put in it.</summary>
internal sealed class TemporaryStore : IAsyncDisposable
{
    public const string Profile = "sim";

    // A producer's request as the API stores it: the prompt, the working directory and a little metadata.
    private const string Payload =
        """{"prompt":"Fix the failing test in tests/Workers.Tests and explain the cause.","metadata":{"source":"micro-benchmark"}}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-microbench-store-").FullName;
    private int _nextTurn;

    private TemporaryStore() => Sqlite = new SqliteTurnStore(Path.Combine(_directory, "workers.db"));

    public SqliteTurnStore Sqlite { get; }

    public static async Task<TemporaryStore> CreateAsync()
    {
        var store = new TemporaryStore();
        await store.Sqlite.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>A turn not enqueued before, alone in its conversation (so any claim may take it).</summary>
    public NewTurn NextTurn()
    {
        var number = Interlocked.Increment(ref _nextTurn).ToString(CultureInfo.InvariantCulture);
        var enqueuedAt = TimeProvider.System.GetUtcNow();
        return new NewTurn($"turn-{number}", $"conversation-{number}", Profile, Payload, "sha256:" + number, enqueuedAt);
    }

    public async ValueTask DisposeAsync()
    {
        await Sqlite.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
