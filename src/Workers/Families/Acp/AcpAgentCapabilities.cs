using System.Text.Json;

namespace Workers.Families.Acp;

/// <summary>What an ACP agent advertised in its <c>initialize</c> answer that matters to the lease ladder.</summary>
internal sealed record AcpAgentCapabilities(bool LoadSession, bool ResumeSession, bool CloseSession, string? AgentName, string? AgentVersion)
{
    public static AcpAgentCapabilities Parse(JsonElement result)
    {
        var capabilities = result.Obj("agentCapabilities");
        var sessionCapabilities = capabilities?.Obj("sessionCapabilities");
        var info = result.Obj("agentInfo");
        return new AcpAgentCapabilities(
            LoadSession: capabilities?.Bool("loadSession") == true,
            // Present (usually `{}`) means supported; omitted or null means not.
            ResumeSession: sessionCapabilities?.Obj("resume") is not null,
            CloseSession: sessionCapabilities?.Obj("close") is not null,
            AgentName: info?.Str("name"),
            AgentVersion: info?.Str("version"));
    }
}
