using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families;

/// <summary>One runtime family: how its processes are launched and spoken to.</summary>
public interface IAgentDriver
{
    /// <summary>The family's canonical name: what profiles name as their <c>Family</c>, and the <c>family</c> label.</summary>
    string Family { get; }

    /// <summary>Other names a profile may use for the family.</summary>
    IReadOnlyList<string> Aliases { get; }

    /// <summary>What the pool and the runners need to know of this family's processes.</summary>
    FamilyTraits Traits { get; }

    LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request);

    IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger);
}
