using Microsoft.Extensions.Logging;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families.Acp;

/// <summary>The <c>acp-json-rpc</c> family: Agent Client Protocol v1 over newline-delimited JSON-RPC on stdio
/// (claude-agent-acp, codex-acp, <c>gemini --acp</c>, <c>opencode acp</c>). The working directory is set per
/// session, so a process serves any directory the profile allows.</summary>
internal sealed class AcpDriver : IAgentDriver
{
    public string Family => "acp-json-rpc";

    public IReadOnlyList<string> Aliases { get; } = ["acp"];

    public FamilyTraits Traits { get; } = new(ServesManyTurns: true, ServesManySessions: true, ResumesAtLaunch: false,
        PresetsSessionAtLaunch: false, PreopensSessions: true);

    public LaunchSpec BuildLaunch(ResolvedProfile profile, LaunchRequest request) =>
        // In a sandbox the agent starts in /conversation, above the workspace: its own working directory then never holds the
        // workspace a conversation's is later renamed over (each session is told its directory anyway).
        profile.CreateLaunchSpec(profile.Options.Args,
            profile.Isolation == IsolationMode.Conversation ? Isolation.ProcessSlot.ConversationMount : profile.DefaultWorkingDirectory, OutputFraming.Lines);

    public IAgentConnection Attach(AgentProcess process, ResolvedProfile profile, LaunchRequest request, TimeProvider timeProvider, ILogger logger) =>
        new AcpConnection(process, profile, request.Slot, timeProvider, logger);
}
