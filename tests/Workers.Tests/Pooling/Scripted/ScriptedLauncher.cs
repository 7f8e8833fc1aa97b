using Workers.Families;
using Workers.Processes;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Tests.Pooling.Scripted;

/// <summary>Launches scripted connections with the traits a test gives, and keeps every one it launched.</summary>
internal sealed class ScriptedLauncher(TimeProvider timeProvider, FamilyTraits traits) : IAgentLauncher
{
    private readonly Lock _lock = new();
    private readonly List<ScriptedConnection> _launched = [];
    private int _nextPid = 40_000;

    /// <summary>Families like ACP: many turns and sessions per process, sessions pre-opened.</summary>
    public static FamilyTraits ManySessions { get; } = new(ServesManyTurns: true, ServesManySessions: true, ResumesAtLaunch: false,
        PresetsSessionAtLaunch: false, PreopensSessions: true);

    /// <summary>Families like Claude: many turns, one session fixed at launch, resumed by a launch flag.</summary>
    public static FamilyTraits SessionAtLaunch { get; } = new(ServesManyTurns: true, ServesManySessions: false, ResumesAtLaunch: true,
        PresetsSessionAtLaunch: true, PreopensSessions: false);

    /// <summary>When false, launched connections wait for <see cref="ScriptedConnection.BecomeReady"/>.</summary>
    public bool ReadyAtOnce { get; set; } = true;

    /// <summary>When set, every launch fails as an executable that cannot be started.</summary>
    public bool FailSpawns { get; set; }

    public int SpawnFailures { get; private set; }

    /// <summary>Given to every connection launched from now on (<see cref="ScriptedConnection.PlayTurn"/>).</summary>
    public Func<TurnContext, ScriptedConnection, TurnOutcome>? PlayTurn { get; set; }

    public IReadOnlyList<ScriptedConnection> Launched
    {
        get
        {
            lock (_lock)
            {
                return [.. _launched];
            }
        }
    }

    public FamilyTraits TraitsOf(ResolvedProfile profile) => traits;

    public IAgentConnection Launch(ResolvedProfile profile, LaunchRequest request)
    {
        if (FailSpawns)
        {
            SpawnFailures++;
            throw new SpawnFailedException("ENOENT", "scripted spawn failure");
        }

        lock (_lock)
        {
            var connection = new ScriptedConnection(new ScriptedProcess(_nextPid++, timeProvider), request, ReadyAtOnce) { PlayTurn = PlayTurn };
            _launched.Add(connection);
            return connection;
        }
    }
}
