using System.Text.Json;
using StreamJsonRpc;
using Workers.Families.Acp;
using Workers.Profiles;

namespace Workers.Tests.Families.Acp;

public sealed class AcpSessionsTests
{
    private static AcpAgentCapabilities Advertising(bool resume, bool load) => new(load, resume, CloseSession: false, null, null);

    [Theory]
    [InlineData(ResumeMode.Auto, true, true, "session/resume")]
    [InlineData(ResumeMode.Auto, false, true, "session/load")]
    [InlineData(ResumeMode.Auto, false, false, null)]
    [InlineData(ResumeMode.Resume, true, true, "session/resume")]
    [InlineData(ResumeMode.Resume, false, true, null)]
    [InlineData(ResumeMode.Load, true, true, "session/load")]
    [InlineData(ResumeMode.Load, true, false, null)]
    [InlineData(ResumeMode.None, true, true, null)]
    public void ResumeMethod_FollowsTheProfileAndTheAgentsCapabilities(ResumeMode mode, bool resume, bool load, string? expected) =>
        Assert.Equal(expected, AcpSessions.ResumeMethod(mode, Advertising(resume, load)));

    [Theory]
    [InlineData(-32002, "Resource not found", null)]
    [InlineData(-32603, "Internal error", "{\"details\":\"No conversation found with session ID: abc\"}")]
    [InlineData(-32603, "Invalid session identifier", null)]
    [InlineData(-32603, "Query closed before response received", null)]
    public void IsStale_RecognisesWhatAgentsAnswerForAnUnknownSession(int code, string message, string? data) =>
        Assert.True(AcpSessions.IsStale(Answer(code, message, data)));

    [Theory]
    [InlineData(-32603, "Internal error", "{\"details\":\"API Error: 500\"}")]
    [InlineData(-32000, "Authentication required", null)]
    public void IsStale_OtherErrorsAreNotStale(int code, string message, string? data) =>
        Assert.False(AcpSessions.IsStale(Answer(code, message, data)));

    [Fact]
    public void Capabilities_ResumeAndCloseArePresentObjects_LoadIsAFlag()
    {
        var answer = JsonDocument.Parse("""
            {"protocolVersion":1,"agentInfo":{"name":"sim","version":"1.2"},
             "agentCapabilities":{"loadSession":true,"sessionCapabilities":{"resume":{},"close":null}}}
            """).RootElement;

        Assert.Equal(new AcpAgentCapabilities(LoadSession: true, ResumeSession: true, CloseSession: false, "sim", "1.2"),
            AcpAgentCapabilities.Parse(answer));
    }

    internal static RemoteInvocationException Answer(int code, string message, string? data) =>
        new(message, code, errorData: null, deserializedErrorData: data is null ? null : JsonDocument.Parse(data).RootElement);
}
