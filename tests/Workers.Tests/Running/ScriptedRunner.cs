using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Running;
using Workers.Sessions;
using Workers.Tests.Pooling.Scripted;

namespace Workers.Tests.Running;

/// <summary>A pooled runner over one profile, <c>p</c>, whose processes are scripted connections of a family that serves many
/// sessions, on a fake clock; sessions are recorded in a throwaway data directory. The pool keeps one process ready.</summary>
internal sealed class ScriptedRunner : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("workers-runner-tests-").FullName;

    public ScriptedRunner(int maxProcesses, WorkerMetrics? metrics = null, Action<AgentProfile>? configure = null)
    {
        var options = new WorkersOptions { DataDirectory = _data };
        options.Profiles["p"] = new AgentProfile
        {
            Name = "p",
            Family = "acp-json-rpc",
            Command = "sh",
            Pool = new PoolOptions
            {
                MinReady = 1, MaxReady = 1, MaxProcesses = maxProcesses, LifetimeJitter = 0, Adaptive = { Enabled = false },
            },
        };
        configure?.Invoke(options.Profiles["p"]);
        var profiles = new ProfileCatalog(options);
        Launcher = new ScriptedLauncher(Time, ScriptedLauncher.ManySessions);
        Pools = new PoolRegistry(profiles, Launcher, Time, NullLoggerFactory.Instance);
        Sessions = new SessionRegistry(new JsonFileConversationSessionStore(Path.Combine(_data, "sessions.json")), Pools);
        Runner = new PooledTurnRunner(profiles, Pools, Sessions, Time, metrics);
    }

    public FakeTimeProvider Time { get; } = new();

    public ScriptedLauncher Launcher { get; }

    public PoolRegistry Pools { get; }

    public AgentPool Pool => Pools.All.Single();

    public SessionRegistry Sessions { get; }

    public PooledTurnRunner Runner { get; }

    public async ValueTask DisposeAsync()
    {
        await Pools.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }
}
