using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families.JsonEventStream;

/// <summary>The <c>json-event-stream</c> family: <c>codex exec --json [resume &lt;thread_id&gt;] -</c>, one turn per
/// process, the prompt read from stdin until EOF.</summary>
internal sealed class JsonEventStreamDriver : IAgentDriver
{
    public string Family => "json-event-stream";

    public IReadOnlyList<string> Aliases { get; } = [];

    public FamilyTraits Traits { get; } = new(ServesManyTurns: false, ServesManySessions: false, ResumesAtLaunch: true,
        PresetsSessionAtLaunch: false, PreopensSessions: false);

    public LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request)
    {
        var arguments = new List<string>(profile.Options.Args);
        if (profile.Options.Model is { Length: > 0 } model && !arguments.Contains("--model") && !arguments.Contains("-m"))
        {
            arguments.AddRange(["--model", model]);
        }

        // Flags are not persisted by `exec resume`: they stay before the subcommand, the stdin marker last.
        if (request.ResumeSessionId is not null)
        {
            arguments.AddRange(["resume", request.ResumeSessionId]);
        }

        arguments.Add("-");
        return profile.CreateLaunchSpec(arguments, request.WorkingDirectory, OutputFraming.Lines);
    }

    public IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger) =>
        new JsonEventStreamConnection(process, profile, request, timeProvider, logger);
}
