using System.Text.Json;
using System.Text.Json.Nodes;
using Workers.Families.Claude;
using Workers.Profiles;
using Workers.Turns;

namespace Workers.Tests.Families.Claude;

/// <summary>The control protocol on lines shaped as in the Agent SDK's stdio protocol (<c>specs/families.md</c>).</summary>
public sealed class ClaudeControlProtocolTests
{
    private readonly ClaudeControlProtocol _protocol = new();
    private readonly RecordingSink _sink = new();

    private static JsonElement Line(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    private static ResolvedProfile Profile(PermissionPolicy permissions) => new()
    {
        Name = "claude",
        Family = "claude-stream-json",
        Options = new AgentProfile { Name = "claude", Permissions = permissions },
        HomeDirectory = "/tmp",
        DefaultWorkingDirectory = "/tmp",
        Environment = new Dictionary<string, string>(),
        Digest = "",
    };

    private static string CanUseTool(string requestId) => $$$"""
        {"type":"control_request","request_id":"{{{requestId}}}","request":{"subtype":"can_use_tool","tool_name":"Write",
         "input":{"file_path":"/srv/project/sim.txt","content":"x"},"tool_use_id":"toolu_7","permission_suggestions":[]}}
        """;

    private static string Success(string requestId) => $$$"""
        {"type":"control_response","response":{"subtype":"success","request_id":"{{{requestId}}}",
         "response":{"commands":[],"output_style":"default"}}
        }
        """;

    [Fact]
    public void Start_NumbersEachRequestAndWrapsItInAControlRequest()
    {
        var first = _protocol.Start(new JsonObject { ["subtype"] = "initialize", ["hooks"] = null });
        var second = _protocol.Start(new JsonObject { ["subtype"] = "interrupt" });

        Assert.Equal("workers-1", first.Id);
        Assert.Equal("workers-2", second.Id);
        Assert.Equal("""{"type":"control_request","request_id":"workers-1","request":{"subtype":"initialize","hooks":null}}""", first.Line);
    }

    [Fact]
    public async Task OnResponse_Success_CompletesTheRequestWithItsBody()
    {
        var sent = _protocol.Start(new JsonObject { ["subtype"] = "initialize" });

        _protocol.OnResponse(Line(Success(sent.Id)));

        Assert.Equal("default", (await sent.Answer).GetProperty("output_style").GetString());
    }

    [Fact]
    public async Task OnResponse_Error_FailsTheRequestAsProtocolErrorBeforeOutput()
    {
        var sent = _protocol.Start(new JsonObject { ["subtype"] = "initialize" });

        _protocol.OnResponse(Line($$$"""
            {"type":"control_response",
             "response":{"subtype":"error","request_id":"{{{sent.Id}}}","error":"Unsupported control request subtype: x"}}
            """));

        var failure = await Assert.ThrowsAsync<TurnFailedException>(() => sent.Answer);
        Assert.Equal(FailureReasons.ProtocolError, failure.Reason);
        Assert.True(failure.BeforeOutput);
        Assert.Equal("The agent refused a control request: Unsupported control request subtype: x", failure.Message);
    }

    [Fact]
    public void OnResponse_ForAForgottenRequest_IsIgnored()
    {
        var sent = _protocol.Start(new JsonObject { ["subtype"] = "interrupt" });
        _protocol.Forget(sent.Id);

        _protocol.OnResponse(Line(Success(sent.Id)));

        Assert.False(sent.Answer.IsCompleted);
    }

    [Fact]
    public async Task FailPending_FailsEveryWaitingRequest()
    {
        var first = _protocol.Start(new JsonObject { ["subtype"] = "initialize" });
        var second = _protocol.Start(new JsonObject { ["subtype"] = "interrupt" });

        _protocol.FailPending(() => new TurnFailedException(FailureReasons.ProcessExitBeforeOutput, "gone"));

        Assert.Equal(FailureReasons.ProcessExitBeforeOutput, (await Assert.ThrowsAsync<TurnFailedException>(() => first.Answer)).Reason);
        Assert.Equal(FailureReasons.ProcessExitBeforeOutput, (await Assert.ThrowsAsync<TurnFailedException>(() => second.Answer)).Reason);
    }

    [Fact]
    public void Answer_CanUseToolAllowedByTheTurnsPolicy_AllowsWithTheInputAndReportsIt()
    {
        var turn = new TurnContext("turn-1", "hi", "/srv/project", new TurnClock(TimeProvider.System), _sink,
            new PermissionPolicy { Allow = ["write"] });

        var answer = ClaudeControlProtocol.Answer(Line(CanUseTool("req_1")), turn, Profile(new PermissionPolicy()));

        var response = Line(answer!.Line).GetProperty("response");
        Assert.Equal(("success", "req_1"), (response.GetProperty("subtype").GetString(), response.GetProperty("request_id").GetString()));
        Assert.Equal("allow", response.GetProperty("response").GetProperty("behavior").GetString());
        // Sent instead when the tool use cannot be recorded: the same request, refused.
        var refusal = Line(answer.RefusalIfNotRecorded!).GetProperty("response");
        Assert.Equal(("req_1", "deny"), (refusal.GetProperty("request_id").GetString(), refusal.GetProperty("response").GetProperty("behavior").GetString()));
        Assert.Equal("/srv/project/sim.txt", response.GetProperty("response").GetProperty("updatedInput").GetProperty("file_path").GetString());
        Assert.Equal(new PermissionRequested("toolu_7", "Write", null) { Sequence = 1 }, _sink.Events[0]);
        Assert.Equal(new PermissionAnswered("toolu_7", "allow", null) { Sequence = 2 }, _sink.Events[1]);
    }

    [Fact]
    public void Answer_CanUseToolOutsideATurn_IsDecidedByTheProfilesPolicy()
    {
        var answer = ClaudeControlProtocol.Answer(Line(CanUseTool("req_2")), null, Profile(new PermissionPolicy { Deny = ["Write"] }));

        var decision = Line(answer!.Line).GetProperty("response").GetProperty("response");
        Assert.Null(answer.RefusalIfNotRecorded);
        Assert.Equal("deny", decision.GetProperty("behavior").GetString());
        Assert.Equal("Denied by the permission policy of profile 'claude'.", decision.GetProperty("message").GetString());
    }

    [Fact]
    public void Answer_AnotherSubtype_IsRefused()
    {
        var answer = ClaudeControlProtocol.Answer(Line("""
            {"type":"control_request","request_id":"req_3","request":{"subtype":"hook_callback","callback_id":"hook_0","input":{}}}
            """), null, Profile(new PermissionPolicy()));

        var response = Line(answer!.Line).GetProperty("response");
        Assert.Equal(("error", "req_3"), (response.GetProperty("subtype").GetString(), response.GetProperty("request_id").GetString()));
        Assert.Equal("Workers does not serve 'hook_callback' requests.", response.GetProperty("error").GetString());
    }

    [Fact]
    public void Answer_RequestWithoutId_IsNotAnswered() =>
        Assert.Null(ClaudeControlProtocol.Answer(Line("""{"type":"control_request","request":{"subtype":"can_use_tool"}}"""), null,
            Profile(new PermissionPolicy())));
}
