using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families.Plain;

/// <summary>The <c>plain</c> family: any text CLI; prompt on stdin, text on stdout, exit 0. No session, no
/// readiness marker: only the first token is observable.</summary>
internal sealed class PlainDriver : IAgentDriver
{
    public string Family => "plain";

    public IReadOnlyList<string> Aliases { get; } = [];

    public FamilyTraits Traits { get; } = new(ServesManyTurns: false, ServesManySessions: false, ResumesAtLaunch: false,
        PresetsSessionAtLaunch: false, PreopensSessions: false);

    public LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request) =>
        profile.CreateLaunchSpec(profile.Options.Args, request.WorkingDirectory, OutputFraming.Chunks);

    public IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger) =>
        new PlainConnection(process, profile, request, timeProvider, logger);
}
