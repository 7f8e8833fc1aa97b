using Workers.Families;
using Workers.Profiles;

namespace Workers.Pooling;

/// <summary>Warm sets (<c>specs/pool.md</c>, "Warm sets"): the ready processes of each prewarmed working directory. A turn
/// takes from its directory's set; a family that opens a session in any directory (ACP) and sees every directory (no
/// conversation isolation) may take from the others after it. A process stays in the set it was launched for.</summary>
public sealed partial class AgentPool
{
    private readonly WarmSet[] _sets;

    private static WarmSet[] CreateWarmSets(ResolvedProfile profile, TimeProvider timeProvider)
    {
        var pool = profile.Options.Pool;
        var sets = new List<WarmSet> { new(0, PrewarmDirectory.DefaultName, profile.AgentWorkingDirectory, new PrewarmTarget(timeProvider, pool.MinReady)) };
        foreach (var directory in profile.PrewarmDirectories)
        {
            var minReady = pool.WorkingDirectories.Find(d => d.Name == directory.Name)?.MinReady ?? 0;
            sets.Add(new WarmSet(sets.Count, directory.Name, directory.Path, new PrewarmTarget(timeProvider, minReady)));
        }

        return [.. sets];
    }

    private WarmSet DefaultSet => _sets[0];

    /// <summary>The set kept for exactly this directory; null when none is.</summary>
    private WarmSet? SetFor(string workingDirectory)
    {
        foreach (var set in _sets)
        {
            if (set.Directory == workingDirectory)
            {
                return set;
            }
        }

        return null;
    }

    /// <summary>The set a turn for this directory waits on and counts its arrival in: its own, else the default one (an ACP
    /// turn for a directory without a set; any other such turn is launched for, <see cref="NeedsLaunchForTurn"/>).</summary>
    private WarmSet HomeSetFor(string workingDirectory) => SetFor(workingDirectory) ?? DefaultSet;

    /// <summary>True when a ready process of any set can serve a turn for any directory: it opens a session where the turn
    /// asks, and no sandbox limits what it sees.</summary>
    private bool ServesAnyDirectory => Traits.ServesManySessions && _handOver is null;

    /// <summary>The sets a turn for this directory may take a ready process from, in order.</summary>
    private IEnumerable<WarmSet> ReadySetsFor(string workingDirectory)
    {
        var home = HomeSetFor(workingDirectory);
        yield return home;
        if (ServesAnyDirectory)
        {
            foreach (var set in _sets)
            {
                if (!ReferenceEquals(set, home))
                {
                    yield return set;
                }
            }
        }
    }

    /// <summary>The minimum a set keeps ready now: for the default set the profile's (or its schedule's), for the others
    /// their entry's in the current settings (0 once a reload dropped it).</summary>
    private int MinReadyOf(WarmSet set) => set.IsDefault
        ? EffectiveMinReady
        : Math.Min(EntryOf(set)?.MinReady ?? 0, MaxReadyOf(set));

    private int MaxReadyOf(WarmSet set) => set.IsDefault ? Options.MaxReady : EntryOf(set)?.MaxReady ?? 0;

    private PrewarmDirectory? EntryOf(WarmSet set) => Options.WorkingDirectories.Find(d => d.Name == set.Name);

    /// <summary>The set's prewarm target now (its own arrivals and warm-ups, the profile's adaptive settings).</summary>
    private int TargetOf(WarmSet set) => set.Target.Evaluate(MinReadyOf(set), MaxReadyOf(set), Options.Adaptive);

    /// <summary>The launch of a pooled process for a set: its directory, and where the family takes the session id at
    /// launch, a preassigned one, so the process's session exists before any turn asks for it.</summary>
    private LaunchRequest PoolLaunch(WarmSet set) => new(
        set.Directory,
        PresetSessionId: Traits.PresetsSessionAtLaunch ? Guid.NewGuid().ToString() : null);

    /// <summary>Puts a process in its set's channel. Turns queued on other sets are woken too (the wake-up stays in the
    /// channel for one not reading yet): an ACP turn may take it, a turn that needs another directory may retire it for a
    /// slot (<see cref="TryEvictReadyOfOtherSet"/>).</summary>
    private void PutReady_NeedsLock(PooledProcess process)
    {
        process.State = PoolProcessState.Ready;
        process.Set.ReadyCount++;
        process.Set.Ready.Writer.TryWrite(process);
        foreach (var set in _sets)
        {
            if (!ReferenceEquals(set, process.Set) && set.Queued > 0)
            {
                set.Ready.Writer.TryWrite(null);
            }
        }
    }

    /// <summary>Turns waiting on a set's channel, in all sets.</summary>
    private int WaitingTurns => _sets.Sum(s => s.Waiters);

    /// <summary>Wakes every waiting turn (capacity was freed or a binding released): a <c>null</c> into every set.</summary>
    private void WakeWaiters()
    {
        foreach (var set in _sets)
        {
            set.Ready.Writer.TryWrite(null);
        }
    }

    /// <summary>When the pool is full, a turn whose set has nothing ready retires an idle ready process of another set (of
    /// any set, for a launch that no ready process can serve: <paramref name="home"/> null) to launch in its slot: a turn
    /// goes before a directory's prewarm. False when no such set holds one.</summary>
    private bool TryEvictReadyOfOtherSet(WarmSet? home)
    {
        foreach (var set in _sets)
        {
            if (ReferenceEquals(set, home))
            {
                continue;
            }

            while (set.Ready.Reader.TryRead(out var idle))
            {
                if (idle is not null && TryClaimReady(idle))
                {
                    Retire(idle, RetireReason.Evicted);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The ready processes of the named set (<c>default</c> or a configured name); 0 for an unknown name.</summary>
    public int ReadyCountOf(string setName)
    {
        lock (_lock)
        {
            return Array.Find(_sets, s => s.Name == setName)?.ReadyCount ?? 0;
        }
    }

    private List<WarmSetSnapshot> WarmSetSnapshots_NeedsLock() =>
        [.. _sets.Select(s => new WarmSetSnapshot(s.Name, s.Directory, s.ReadyCount, s.Starting, TargetOf(s), MinReadyOf(s), MaxReadyOf(s),
            s.Waiters, s.Target.ArrivalRate))];
}
