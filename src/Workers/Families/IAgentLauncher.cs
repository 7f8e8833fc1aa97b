using Workers.Profiles;

namespace Workers.Families;

/// <summary>Starts a process of a profile and hands back its family's connection: the seam between the pool (and the
/// spawn-per-turn runner) and real child processes; unit tests put scripted connections behind it.</summary>
public interface IAgentLauncher
{
    /// <summary>What the profile's family tells the pool about its processes.</summary>
    FamilyTraits TraitsOf(ResolvedProfile profile);

    /// <exception cref="Processes.SpawnFailedException">The executable could not be started.</exception>
    IAgentConnection Launch(ResolvedProfile profile, LaunchRequest request);
}
