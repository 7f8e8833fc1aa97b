using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families.Claude;

/// <summary>The <c>claude-stream-json</c> family: <c>claude -p --input-format stream-json --output-format
/// stream-json --verbose --include-partial-messages</c>, one long-lived process per session.</summary>
internal sealed class ClaudeDriver : IAgentDriver
{
    public string Family => "claude-stream-json";

    public IReadOnlyList<string> Aliases { get; } = [];

    public FamilyTraits Traits { get; } = new(ServesManyTurns: true, ServesManySessions: false, ResumesAtLaunch: true,
        PresetsSessionAtLaunch: true, PreopensSessions: false);

    public LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request)
    {
        var arguments = new List<string>(profile.Options.Args);
        if (profile.Options.Model is { Length: > 0 } model && !arguments.Contains("--model"))
        {
            arguments.AddRange(["--model", model]);
        }

        // The `=` form keeps an id that starts with a dash from being read as a flag (as the Agent SDK does).
        if (request.ResumeSessionId is not null)
        {
            arguments.Add($"--resume={request.ResumeSessionId}");
        }
        else
        {
            arguments.Add($"--session-id={request.PresetSessionId ?? Guid.NewGuid().ToString()}");
        }

        return profile.CreateLaunchSpec(arguments, request.WorkingDirectory, OutputFraming.Lines);
    }

    public IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger)
    {
        var sessionId = request.ResumeSessionId
            ?? BuildLaunchSessionId(process)
            ?? throw new InvalidOperationException("A Claude process must be launched with a session id.");
        return new ClaudeConnection(process, profile, request, sessionId, timeProvider, logger);
    }

    private static string? BuildLaunchSessionId(AgentProcess process) =>
        process.Arguments.FirstOrDefault(a => a.StartsWith("--session-id=", StringComparison.Ordinal))?["--session-id=".Length..];
}
