using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Families;
using Workers.Pooling;
using Workers.Profiles;

namespace Workers.Tests.Pooling.Scripted;

/// <summary>An <see cref="AgentPool"/> over scripted connections on a fake clock, with a throwaway data directory.</summary>
internal sealed class PoolFixture : IAsyncDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("workers-pool-tests-").FullName;

    /// <param name="traits">What the scripted family says about its processes.</param>
    /// <param name="configure">Changes to the pool's options.</param>
    /// <param name="project">With a value, <see cref="ProjectDirectory"/> is a warm set (named <c>project</c>) that keeps this
    /// many processes ready (its <c>MinReady</c> and <c>MaxReady</c>).</param>
    public PoolFixture(FamilyTraits traits, Action<PoolOptions>? configure = null, int? project = null)
    {
        Directory.CreateDirectory(ProjectDirectory);
        var options = new PoolOptions { MinReady = 0, MaxReady = 4, MaxProcesses = 4, LifetimeJitter = 0, Adaptive = { Enabled = false } };
        if (project is { } ready)
        {
            options.WorkingDirectories.Add(new PrewarmDirectory { Name = "project", Path = ProjectDirectory, MinReady = ready, MaxReady = ready });
        }

        configure?.Invoke(options);
        var profile = new AgentProfile
        {
            Name = "scripted", Family = "acp-json-rpc", Command = "sh", Pool = options, AllowedWorkingDirectories = [ProjectDirectory],
        };
        var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = _dataDirectory, Profiles = { ["scripted"] = profile } });
        Profile = catalog.Get("scripted");
        Launcher = new ScriptedLauncher(Time, traits);
        Pool = new AgentPool(Profile, Launcher, Time, NullLogger.Instance);
    }

    public FakeTimeProvider Time { get; } = new();

    public ScriptedLauncher Launcher { get; }

    public ResolvedProfile Profile { get; }

    public AgentPool Pool { get; }

    public string OtherDirectory => Path.Combine(_dataDirectory, "elsewhere");

    /// <summary>A directory the profile allows, outside its default one; a warm set when the fixture was made with one.</summary>
    public string ProjectDirectory => Path.Combine(_dataDirectory, "project");

    /// <summary>A lease request for the profile's default directory and settings.</summary>
    public LeaseRequest Request(string? conversation = null, string? resume = null, string? workingDirectory = null, string? digest = null) =>
        new(conversation, resume, workingDirectory ?? Profile.DefaultWorkingDirectory, digest ?? Profile.Digest);

    public Task<PoolLease> LeaseAsync(string? conversation = null, string? resume = null, string? workingDirectory = null, string? digest = null) =>
        Pool.LeaseAsync(Request(conversation, resume, workingDirectory, digest), TestContext.Current.CancellationToken);

    /// <summary>Plays one turn on the lease and gives it back bound to <paramref name="conversation"/>.</summary>
    public string ServeAndBind(PoolLease lease, string conversation)
    {
        var connection = Connection(lease);
        var session = $"session-of-{conversation}";
        connection.ServeTurn(session);
        Pool.Release(lease, conversation, Profile.Digest, retire: false);
        return session;
    }

    /// <summary>Two conversations bound, <c>conv-a</c> used least recently; returns conv-a's lease.</summary>
    public async Task<PoolLease> BindTwoConversationsAsync()
    {
        var a = await LeaseAsync("conv-a");
        ServeAndBind(a, "conv-a");
        Time.Advance(TimeSpan.FromSeconds(1));
        ServeAndBind(await LeaseAsync("conv-b"), "conv-b");
        return a;
    }

    public static ScriptedConnection Connection(PoolLease lease) => (ScriptedConnection)lease.Process.Connection;

    public long Retired(string reason) => Pool.Counters.Read().RetiredByReason.GetValueOrDefault(reason);

    /// <summary>Waits (bounded) for a state the pool reaches on another thread, such as the end of a failed start.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            // The pool's background work runs on the thread pool: yield to it instead of sleeping.
            limit.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
