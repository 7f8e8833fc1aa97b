using Microsoft.Extensions.Logging.Abstractions;
using Workers.Families;
using Workers.Processes;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Running;
using Workers.Sessions;
using Workers.Turns;

namespace Workers.IntegrationTests.Support;

/// <summary>A data directory, simulated-agent profiles and a runner for one test; on dispose it checks that
/// every process the test started is gone.</summary>
public sealed class SimHarness : IAsyncDisposable
{
    private readonly Dictionary<string, AgentProfile> _profiles = new(StringComparer.OrdinalIgnoreCase);
    private ProfileCatalog? _catalog;

    /// <param name="timeProvider">The clock of the pools, runners and processes it makes; the system clock when null. A
    /// <c>FakeTimeProvider</c> lets a test move a pool's time limits (lifetime, idle TTL, backoff) to their exact edge.</param>
    public SimHarness(TimeProvider? timeProvider = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        DataDirectory = Directory.CreateTempSubdirectory("workers-it-").FullName;
    }

    public string DataDirectory { get; }

    /// <summary>Tags every process this harness starts.</summary>
    public string Marker { get; } = Guid.NewGuid().ToString("N");

    public TimeProvider TimeProvider { get; }

    public static string SimAgentPath => Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent");

    /// <summary>Adds a profile named after <paramref name="family"/> (or <paramref name="name"/>) with quick default latencies.</summary>
    public AgentProfile AddProfile(string family, IDictionary<string, string>? env = null, string? name = null, Action<AgentProfile>? configure = null)
    {
        var profile = new AgentProfile
        {
            Family = family,
            Command = SimAgentPath,
            Args = [.. SimFamily.Args(family)],
            Env = new Dictionary<string, string>
            {
                [ProcessLeaks.MarkerVariable] = Marker,
                ["SIM_STARTUP_MS"] = "20",
                ["SIM_FIRST_TOKEN_MS"] = "20",
                ["SIM_TOKENS"] = "8",
            },
            Timeouts = new ProfileTimeouts
            {
                Ready = TimeSpan.FromSeconds(15),
                FirstToken = TimeSpan.FromSeconds(15),
                Turn = TimeSpan.FromSeconds(30),
                Cancel = TimeSpan.FromSeconds(3),
                GracefulStop = TimeSpan.FromSeconds(1),
            },
            Permissions = new PermissionPolicy { Allow = ["edit", "Write"] },
        };
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            profile.Env[key] = value;
        }

        configure?.Invoke(profile);
        _profiles[name ?? family] = profile;
        _catalog = null;
        return profile;
    }

    /// <summary>The profiles added so far, by name.</summary>
    public IReadOnlyDictionary<string, AgentProfile> Profiles => _profiles;

    public ProfileCatalog Catalog => _catalog ??= new ProfileCatalog(new WorkersOptions { DataDirectory = DataDirectory, Profiles = _profiles });

    public IAgentLauncher Launcher =>
        new FamilyLauncher(new AgentDrivers(AgentDrivers.BuiltIn), new AgentLauncher(TimeProvider, NullLoggerFactory.Instance), TimeProvider,
            NullLoggerFactory.Instance);

    public SpawnPerTurnRunner Runner() => new(Catalog, Launcher, TimeProvider);

    /// <summary>Pools for every profile added so far, with a session store in the data directory; disposed with the harness.</summary>
    public PoolHarness Pools()
    {
        var pools = new PoolRegistry(Catalog, Launcher, TimeProvider, NullLoggerFactory.Instance);
        var store = new JsonFileConversationSessionStore(Path.Combine(DataDirectory, "sessions.json"));
        var sessions = new SessionRegistry(store, pools);
        var harness = new PoolHarness(pools, sessions, new PooledTurnRunner(Catalog, pools, sessions, TimeProvider));
        _pools.Add(harness);
        return harness;
    }

    private readonly List<PoolHarness> _pools = [];

    public Task<TurnResult> RunAsync(string profile, string prompt, EventCollector? events = null, string? resume = null,
        IReadOnlyList<TranscriptMessage>? transcript = null, CancellationToken cancellationToken = default) =>
        Runner().RunAsync(new TurnRequest { Profile = profile, Prompt = prompt, ResumeSessionId = resume, Transcript = transcript },
            events ?? new EventCollector(), cancellationToken);

    /// <summary>Launches a process of <paramref name="profile"/> and attaches its family's connection.</summary>
    public IAgentConnection Launch(string profile, LaunchRequest? request = null)
    {
        var resolved = Catalog.Get(profile);
        return Launcher.Launch(resolved, request ?? new LaunchRequest(resolved.DefaultWorkingDirectory));
    }

    public TurnContext NewTurn(string profile, string prompt, ITurnEventSink sink)
    {
        var resolved = Catalog.Get(profile);
        var clock = new TurnClock(TimeProvider);
        clock.MarkLeased();
        return new TurnContext(Guid.NewGuid().ToString("N"), prompt, resolved.DefaultWorkingDirectory, clock, sink, resolved.Options.Permissions);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pools in _pools)
        {
            await pools.Registry.DisposeAsync();
        }

        try
        {
            await ProcessLeaks.AssertNoneLeftAsync(Marker, TimeSpan.FromSeconds(10));
        }
        finally
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A process that just died may still be writing; leave it to the OS temp cleaner.
            }
        }
    }
}
