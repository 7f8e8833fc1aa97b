using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Pooling;

/// <summary>One pooled simulated agent serving two conversations in turn: the failed turn's record carries only the stderr
/// written during that turn, never the earlier conversation's (issue 12, defect 4: the tail was kept per process, and
/// another tenant's stderr appeared in the record 3 times in 3).</summary>
public sealed class StderrPerTurnTests
{
    [Fact(Timeout = 60_000)]
    public async Task FailedTurnOnAProcessThatServedAnotherConversation_CarriesOnlyItsOwnStderr()
    {
        // Arrange: one process for the whole pool; conversation a's turn writes its secret to stderr and succeeds.
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, TestContext.Current.CancellationToken);
        var first = await pools.RunAsync(Acp, "hello [[sim:stderr-note:tenant-a-secret]]", "conversation-a",
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(TurnStatus.Succeeded, first.Status);

        // Act: conversation b's turn, handed the same process, writes its own note and fails.
        var second = await pools.RunAsync(Acp, "hi [[sim:stderr-note:tenant-b-note,error:server]]", "conversation-b",
            cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(first.ProcessId, second.ProcessId);
        Assert.Equal((TurnStatus.Failed, FailureReasons.ProviderError), (second.Status, second.Reason));
        Assert.Contains("sim-agent: note tenant-b-note", second.StderrTail, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant-a-secret", second.StderrTail, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant-a-secret", second.Message, StringComparison.Ordinal);
    }
}
