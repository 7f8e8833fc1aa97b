using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Pooling;
using Workers.Profiles;

namespace Workers.MicroBenchmarks.Pooling;

/// <summary>One lease and its release on a pool of one instant process (<see cref="InstantLauncher"/>): the pool's own cost
/// per turn, without a process behind it. <see cref="LeaseReady"/> takes the ready process (a first turn) and gives it back
/// ready; <see cref="LeaseBound"/> takes the process bound to the turn's conversation and binds it again (a continued turn).</summary>
[MemoryDiagnoser]
public class PoolLeaseBenchmarks
{
    private const string Conversation = "conversation-1";

    private string _dataDirectory = "";
    private AgentPool _pool = null!;
    private LeaseRequest _firstTurn = null!;
    private LeaseRequest _continuedTurn = null!;

    [GlobalSetup]
    public async Task StartPoolAsync()
    {
        _dataDirectory = Directory.CreateTempSubdirectory("workers-microbench-pool-").FullName;
        var options = new PoolOptions
        {
            MinReady = 1, MaxReady = 1, MaxProcesses = 1, LifetimeJitter = 0, MaxLifetime = TimeSpan.FromDays(1),
            Adaptive = { Enabled = false },
        };
        var profile = new AgentProfile { Name = "instant", Family = "acp-json-rpc", Command = "sh", Pool = options };
        var catalog = new ProfileCatalog(new WorkersOptions { DataDirectory = _dataDirectory, Profiles = { ["instant"] = profile } });
        var resolved = catalog.Get("instant");
        _pool = new AgentPool(resolved, new InstantLauncher(), TimeProvider.System, NullLogger.Instance);
        _pool.Start();
        await _pool.WaitForReadyAsync(1, CancellationToken.None);
        _firstTurn = new LeaseRequest(null, null, resolved.DefaultWorkingDirectory, resolved.Digest);
        _continuedTurn = _firstTurn with { ConversationId = Conversation };
    }

    [GlobalCleanup]
    public async Task StopPoolAsync()
    {
        await _pool.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    [Benchmark]
    public async Task LeaseReady()
    {
        var lease = await _pool.LeaseAsync(_firstTurn, CancellationToken.None);
        _pool.Release(lease, bindToConversation: null, _firstTurn.Digest, retire: false);
    }

    [Benchmark]
    public async Task LeaseBound()
    {
        var lease = await _pool.LeaseAsync(_continuedTurn, CancellationToken.None);
        _pool.Release(lease, Conversation, _continuedTurn.Digest, retire: false);
    }
}
