using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Families;

/// <summary>A real agent process that asks to use a tool gets its allow only once the turn's tool use is recorded (issue
/// 11: a lost worker's next claim must see it, or the tool would run twice); when it cannot be recorded the tool is
/// refused whatever the policy says.</summary>
public sealed class ToolUseCommitTests
{
    private const string UsesATool = "write a file [[sim:permission]]";

    [Theory(Timeout = 60_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    public async Task PermissionAllowed_IsSentOnlyOnceTheToolUseIsRecorded(string family)
    {
        // Arrange: the recording is held until the test lets it through.
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p => p.Permissions = new Workers.Profiles.PermissionPolicy { Allow = ["edit", "Write"] });
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = new EventCollector
        {
            ToolUseGate = () =>
            {
                asked.TrySetResult();
                return recorded.Task;
            },
        };

        // Act
        var running = sim.RunAsync(family, UsesATool, events, cancellationToken: TestContext.Current.CancellationToken);
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var whileHeld = events.Events.Count;
        recorded.SetResult(true);
        var result = await running;

        // Assert: the tool ran (reported completed) only after the recording was let through.
        Assert.Equal(TurnStatus.Succeeded, result.Status);
        var completed = events.Events.ToList().FindIndex(e => e is ToolCallEvent { Status: "completed" });
        Assert.True(completed >= whileHeld, $"the tool completed at event {completed}, before the use was recorded ({whileHeld} events)");
        Assert.Equal(1, events.ToolUseCommits);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    public async Task ToolUseThatCannotBeRecorded_IsRefused_ThoughThePolicyAllowsIt(string family)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p => p.Permissions = new Workers.Profiles.PermissionPolicy { Allow = ["edit", "Write"] });
        var events = new EventCollector { ToolUseGate = () => Task.FromResult(false) };

        var result = await sim.RunAsync(family, UsesATool, events, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(TurnStatus.Succeeded, result.Status);
        Assert.Contains(events.OfType<ToolCallEvent>(), t => t.Status == "failed");
        Assert.DoesNotContain(events.OfType<ToolCallEvent>(), t => t.Status == "completed");
    }
}
