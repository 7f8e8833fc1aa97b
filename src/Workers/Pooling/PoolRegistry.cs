using Microsoft.Extensions.Logging;
using Workers.Families;
using Workers.Profiles;

namespace Workers.Pooling;

/// <summary>One <see cref="AgentPool"/> per available profile.</summary>
public sealed class PoolRegistry : IAsyncDisposable
{
    private readonly Dictionary<string, AgentPool> _pools = new(StringComparer.OrdinalIgnoreCase);

    public PoolRegistry(ProfileCatalog profiles, IAgentLauncher launcher, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger<AgentPool>();
        foreach (var profile in profiles.All.Where(p => p.IsAvailable))
        {
            _pools[profile.Name] = new AgentPool(profile, launcher, timeProvider, logger);
        }
    }

    public IReadOnlyCollection<AgentPool> All => _pools.Values;

    public bool TryGet(string profile, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AgentPool? pool) => _pools.TryGetValue(profile, out pool);

    public void StartAll()
    {
        foreach (var pool in _pools.Values)
        {
            pool.Start();
        }
    }

    /// <summary>Applies reloaded pool settings to the pools of profiles that still exist.</summary>
    public void ApplyPoolOptions(WorkersOptions options)
    {
        foreach (var (name, profile) in options.Profiles)
        {
            if (_pools.TryGetValue(name, out var pool))
            {
                pool.UpdateOptions(profile.Pool);
            }
        }
    }

    /// <summary>Frees the conversation's bound process in whichever pool holds it.</summary>
    public void ForgetConversation(string conversationId)
    {
        foreach (var pool in _pools.Values)
        {
            pool.ForgetConversation(conversationId);
        }
    }

    /// <summary>Stops every pool in parallel, letting running turns finish up to <paramref name="drainDeadline"/>.</summary>
    public Task StopAllAsync(TimeSpan drainDeadline, CancellationToken cancellationToken = default) =>
        Task.WhenAll(_pools.Values.Select(p => p.StopAsync(drainDeadline, cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values)
        {
            await pool.DisposeAsync();
        }
    }
}
