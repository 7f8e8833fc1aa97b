using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families;

/// <summary>One runtime family: how its processes are launched and spoken to.</summary>
public interface IAgentDriver
{
    Profiles.RuntimeFamily Family { get; }

    /// <summary>What the pool and the runners need to know of this family's processes.</summary>
    FamilyTraits Traits { get; }

    LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request);

    IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger);
}
