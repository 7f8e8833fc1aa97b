using System.Text.Json;

namespace Workers.IntegrationTests.RealClis;

/// <summary>The end-to-end scenarios on the real CLI of profile <c>claude-agent-acp</c> (see <see cref="RealCli.ClaudeAgentAcp"/>),
/// and its own: a profile's <c>Model</c> goes through <c>session/set_config_option</c> and holds after a resume (the
/// adapter reopens a resumed session at its default model).</summary>
public sealed class ClaudeAgentAcpTests : RealCliTests
{
    protected override RealCli Cli => RealCli.ClaudeAgentAcp;

    [Fact(Timeout = 150_000)]
    public async Task ProfileModel_ReachesTheProvider_OnTheFirstTurnAndAfterAResume()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cli = await RealCliHarness.StartAsync(Cli, minReady: 1, configure: p => p.Model = "haiku");
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);
        var (first, second) = (Word(), Word());
        var turn1 = await cli.RunTurnAsync("c1", $"Remember this word: {first}", ct);
        Assert.True(RealCliHarness.Str(turn1, "status") == "succeeded", RealCliHarness.Describe(turn1));
        await cli.Service.WaitForReadyProcessesAsync(cli.Profile, 1, ct);

        // Act: the conversation's process dies; its next turn resumes the session on another one.
        var pid = turn1.GetProperty("processId").GetInt32();
        KillGroup(pid);
        await cli.WaitUntilGoneFromPoolAsync(pid, ct);
        var turn2 = await cli.RunTurnAsync("c1", $"Which word did I ask you to remember? {second}", ct);

        // Assert: both turns' model calls asked for the profile's model, not the adapter's default.
        Assert.True(RealCliHarness.Str(turn2, "status") == "succeeded", RealCliHarness.Describe(turn2));
        Assert.Equal("resumed", RealCliHarness.Str(turn2, "session"));
        foreach (var word in new[] { first, second })
        {
            var request = cli.Stub.ModelRequests.Last(r => r.LastUserText.Contains(word, StringComparison.Ordinal));
            var model = JsonDocument.Parse(request.Body).RootElement.GetProperty("model").GetString();
            Assert.Contains("haiku", model, StringComparison.Ordinal);
        }
    }
}
