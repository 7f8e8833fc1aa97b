using Workers.Families;
using Workers.Profiles;

namespace Workers.MicroBenchmarks.Pooling;

/// <summary>Launches <see cref="InstantConnection"/>s with the traits of a family that serves many turns and sessions (ACP):
/// a process released without a conversation goes back to ready, as the benchmark needs.</summary>
internal sealed class InstantLauncher : IAgentLauncher
{
    private static readonly FamilyTraits ManySessions = new(ServesManyTurns: true, ServesManySessions: true, ResumesAtLaunch: false,
        PresetsSessionAtLaunch: false, PreopensSessions: false);

    private int _nextProcessId = 50_000;

    public FamilyTraits TraitsOf(ResolvedProfile profile) => ManySessions;

    public IAgentConnection Launch(ResolvedProfile profile, LaunchRequest request) =>
        new InstantConnection(Interlocked.Increment(ref _nextProcessId));
}
