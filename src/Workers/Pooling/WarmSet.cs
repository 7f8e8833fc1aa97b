using System.Threading.Channels;

namespace Workers.Pooling;

/// <summary>The ready processes a pool keeps for one working directory (<c>specs/pool.md</c>, "Warm sets"): their channel,
/// their counts and their own prewarm target. Set 0 is the profile's own directory; the others come from
/// <c>Pool:WorkingDirectories</c>. Capacity, bindings, the lock and the start backoff stay the pool's, so every set competes
/// for the same <c>MaxProcesses</c>; the counts here change only under the pool's lock.</summary>
internal sealed class WarmSet(int index, string name, string directory, PrewarmTarget target)
{
    private int _waiters;
    private int _queued;

    /// <summary>0 for the profile's own directory; the configured ones follow in their order.</summary>
    public int Index { get; } = index;

    /// <summary><c>default</c>, or the configured name: the metrics' <c>directory</c> label, never a path.</summary>
    public string Name { get; } = name;

    /// <summary>Where its processes are launched (and, for an ACP agent, their session pre-opened), as the agent sees it.</summary>
    public string Directory { get; } = directory;

    public bool IsDefault => Index == 0;

    /// <summary>Its ready processes, read first come, first served; a <c>null</c> is a wake-up (capacity was freed, or a
    /// process became ready in another set), after which a waiting turn tries the rungs again.</summary>
    public Channel<PooledProcess?> Ready { get; } = Channel.CreateUnbounded<PooledProcess?>();

    public int ReadyCount { get; set; }

    /// <summary>Pool starts under way for this set.</summary>
    public int Starting { get; set; }

    /// <summary>True once the set held its minimum of ready processes.</summary>
    public bool HasWarmedUp { get; set; }

    public PrewarmTarget Target { get; } = target;

    /// <summary>Turns waiting on this set's channel.</summary>
    public int Waiters => Volatile.Read(ref _waiters);

    public void AddWaiter() => Interlocked.Increment(ref _waiters);

    public void RemoveWaiter() => Interlocked.Decrement(ref _waiters);

    /// <summary>Turns of this set in rung 2 or a cold spawn, from their first try until they hold a process: each may need
    /// a slot, which no other set's refill should take from under it.</summary>
    public int Queued => Volatile.Read(ref _queued);

    public void AddQueued() => Interlocked.Increment(ref _queued);

    public void RemoveQueued() => Interlocked.Decrement(ref _queued);
}
