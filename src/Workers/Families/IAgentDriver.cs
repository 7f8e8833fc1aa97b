using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families;

/// <summary>One runtime family: how its processes are launched and spoken to.</summary>
public interface IAgentDriver
{
    Profiles.RuntimeFamily Family { get; }

    /// <summary>True when one process serves many turns.</summary>
    bool IsMultiTurn { get; }

    /// <summary>True when resuming a session is a launch flag (<c>--resume</c>, <c>exec resume</c>), so a
    /// resumed turn needs a process launched for it.</summary>
    bool ResumesAtLaunch { get; }

    LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request);

    IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger);
}
