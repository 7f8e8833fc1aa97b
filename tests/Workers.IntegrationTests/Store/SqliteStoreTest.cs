using System.Security.Cryptography;
using System.Text;
using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary>A test of what only <see cref="SqliteTurnStore"/> has, on a fresh file in a temporary directory: the store, opened
/// and initialised before each test, disposed with its directory after it.</summary>
public abstract class SqliteStoreTest : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("workers-sqlite-store-").FullName;

    protected SqliteTurnStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected string DatabasePath => Path.Combine(_directory, "workers.db");

    public async ValueTask InitializeAsync()
    {
        Store = new SqliteTurnStore(DatabasePath);
        Configure(Store);
        await Store.InitializeAsync(Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Sets the store up before it is initialised.</summary>
    protected virtual void Configure(SqliteTurnStore store)
    {
    }

    protected static NewTurn NewTurn(string id, string conversation, DateTimeOffset? at = null, string profile = "default")
    {
        var payload = $$"""{"prompt":"{{id}}"}""";
        return new NewTurn(id, conversation, profile, payload, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload))), at ?? T0);
    }
}
