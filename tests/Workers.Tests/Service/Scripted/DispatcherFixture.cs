using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Service;
using Workers.Store;
using Workers.Store.Sqlite;
using Workers.Tests.Pooling.Scripted;

namespace Workers.Tests.Service.Scripted;

/// <summary>A <see cref="Dispatcher"/> over the real SQLite store in a throwaway directory (behind a switch for store
/// faults), a scripted runner and a fake clock. Two profiles, <c>alpha</c> and <c>beta</c>, with real pools over scripted connections that are never started:
/// the dispatcher reads only their capacity and bindings.</summary>
internal sealed class DispatcherFixture : IAsyncDisposable
{
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(60);

    private readonly string _dataDirectory;
    private readonly Dictionary<string, TurnEventHub.Subscription> _watched = new(StringComparer.Ordinal);
    private bool _started;

    private DispatcherFixture(string dataDirectory, int maxProcesses)
    {
        _dataDirectory = dataDirectory;
        var options = new WorkersOptions { DataDirectory = dataDirectory };
        foreach (var name in new[] { "alpha", "beta" })
        {
            var pool = new PoolOptions
            {
                MinReady = 0, MaxReady = maxProcesses, MaxProcesses = maxProcesses, LifetimeJitter = 0, Adaptive = { Enabled = false },
            };
            options.Profiles[name] = new AgentProfile { Name = name, Family = "acp-json-rpc", Command = "sh", Pool = pool };
        }

        var profiles = new ProfileCatalog(options);
        Store = new SqliteTurnStore(Path.Combine(dataDirectory, "workers.db"));
        Faults = new FaultyTurnStore(Store, Time);
        Pools = new PoolRegistry(profiles, new ScriptedLauncher(Time, ScriptedLauncher.ManySessions), Time, NullLoggerFactory.Instance);
        Runner = new ScriptedTurnRunner(Time);
        var service = new ServiceOptions
        {
            InstanceId = "worker-under-test",
            LeaseDuration = LeaseDuration,
            // The loop's idle wait is on the wall clock (a semaphore's timeout): so long that only Notify wakes it here.
            PollInterval = TimeSpan.FromHours(1),
        };
        var metrics = new WorkerMetrics(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
        Dispatcher = new Dispatcher(Faults, Runner, Pools, profiles, Hub, Options.Create(service), new DrainDeadline(DrainDeadline), Time,
            NullLogger<Dispatcher>.Instance, metrics);
        Services = new TurnRun.Services(Store, Runner, Hub, profiles, service, Time, NullLogger<Dispatcher>.Instance, metrics, service.InstanceId);
    }

    public SteppedClock Time { get; } = new();

    /// <summary>The real store, as the test reads it.</summary>
    public SqliteTurnStore Store { get; }

    /// <summary>The store as the dispatcher sees it: the real one, with faults the test switches on.</summary>
    public FaultyTurnStore Faults { get; }

    public PoolRegistry Pools { get; }

    public TurnEventHub Hub { get; } = new();

    public ScriptedTurnRunner Runner { get; }

    public Dispatcher Dispatcher { get; }

    /// <summary>What the dispatcher hands each run, for a test that drives a <see cref="TurnRun"/> itself.</summary>
    public TurnRun.Services Services { get; }

    public static async Task<DispatcherFixture> CreateAsync(int maxProcesses = 4)
    {
        var fixture = new DispatcherFixture(Directory.CreateTempSubdirectory("workers-dispatcher-tests-").FullName, maxProcesses);
        await fixture.Store.InitializeAsync(TestContext.Current.CancellationToken);
        return fixture;
    }

    /// <summary>Starts the claim loop; its first pass claims at once, without a wake-up.</summary>
    public async Task StartAsync()
    {
        _started = true;
        await Dispatcher.StartAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Enqueues a turn as the API does (and wakes a started dispatcher as the API does); its live events are
    /// watched from now on, for <see cref="WaitForEndAsync"/>.</summary>
    public async Task<StoredTurn> EnqueueAsync(string id, string profile = "alpha", DateTimeOffset? deadline = null)
    {
        var payload = new TurnSubmission { Prompt = $"prompt of {id}", Deadline = deadline }.ToCanonicalJson();
        var (_, turn) = await Store.EnqueueAsync(new NewTurn(id, $"conversation-of-{id}", profile, payload, id, Time.GetUtcNow()),
            TestContext.Current.CancellationToken);
        _watched[id] = Hub.Subscribe(id);
        if (_started)
        {
            Dispatcher.Notify();
        }

        return turn;
    }

    /// <summary>Enqueues turns of <c>alpha</c> before the start (so no wake-up is pending), starts the dispatcher and
    /// returns the first turn the runner got.</summary>
    public async Task<ScriptedTurn> StartWithQueuedAsync(params string[] ids)
    {
        foreach (var id in ids)
        {
            await EnqueueAsync(id);
        }

        await StartAsync();
        return await Runner.NextAsync();
    }

    public async Task<StoredTurn> GetAsync(string id) => (await Store.GetTurnAsync(id, TestContext.Current.CancellationToken))!;

    public Task<IReadOnlyList<StoredEvent>> EventsAsync(string id) =>
        Store.ReadEventsAsync(id, 0, 100, TestContext.Current.CancellationToken);

    /// <summary>Waits for the turn's terminal event, which the dispatcher publishes only once the end is stored, and
    /// returns the stored turn.</summary>
    public async Task<StoredTurn> WaitForEndAsync(string id)
    {
        using var limit = Bounded.Limit();
        await foreach (var stored in _watched[id].Events.ReadAllAsync(limit.Token))
        {
            if (stored.IsTerminal)
            {
                break;
            }
        }

        return await GetAsync(id);
    }

    public async ValueTask DisposeAsync()
    {
        // Ends what still runs (a turn claimed while stopping too), so the drain never waits on the fake clock.
        var stopping = Dispatcher.StopAsync(CancellationToken.None);
        await Bounded.UntilAsync(() =>
        {
            Runner.SucceedAll();
            return stopping.IsCompleted;
        });
        await stopping;
        Dispatcher.Dispose();
        foreach (var subscription in _watched.Values)
        {
            subscription.Dispose();
        }

        await Pools.DisposeAsync();
        await Store.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
