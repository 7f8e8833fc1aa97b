using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>A pooled agent floods stdout as fast as its pipe takes it (<c>specs/security.md</c>, "Hostile agents"): valid text
/// deltas are taken in order with bounded memory (stdout is read through a bounded channel, so the agent waits on its pipe
/// when Workers is behind) while the service serves another turn; past <c>MaxTurnOutputBytes</c> the turn fails
/// <c>protocol_error</c> and the process is retired; garbage lines are skipped with a handful of notices, not one each.</summary>
[Collection(HostileVolumeCollection.Name)]
public sealed class StdoutFloodTests
{
    private const int Million = 1_000_000;

    [Fact(Timeout = 180_000)]
    public async Task AMillionTextDeltas_AreTakenWithBoundedMemory_WhileAnotherTurnIsServed()
    {
        // Arrange: two warm processes, one for the flood and one for a turn beside it.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (2, 2, 2));
        var pools = sim.Pools();
        await pools.WarmAsync(2, cancellationToken);
        var flood = new CountingSink();

        // Act
        var probe = MemoryProbe.Start();
        var request = new TurnRequest { Profile = Acp, Prompt = $"hello [[sim:flood:{Million}]]", ConversationId = "flooding" };
        var flooding = pools.Runner.RunAsync(request, flood, cancellationToken);
        await Poll.UntilAsync(() => flood.TextDeltas >= 10_000 || flooding.IsCompleted, "the flood to be under way");
        var beside = await pools.RunAsync(Acp, "beside", "conversation-b", cancellationToken: cancellationToken);
        var overlapped = !flooding.IsCompleted;
        var flooded = await flooding;
        var figures = probe.Describe();
        var peak = probe.PeakResidentGrowthBytes;

        // Assert
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Million} text deltas: {figures}; the other turn ran during the flood: {overlapped}");
        Assert.True(flooded.Status == TurnStatus.Succeeded, $"{flooded.Status} {flooded.Reason}: {flooded.Message}");
        Assert.Equal(Million + 8, flood.TextDeltas);
        Assert.Equal(Million + "Echo: hello lorem ipsum dolor sit amet lorem".Length, flood.TextLength);
        Assert.Equal(TurnStatus.Succeeded, beside.Status);
        Assert.NotEqual(flooded.ProcessId, beside.ProcessId);
        Assert.True(peak < 64L * 1024 * 1024, $"the resident set grew by {peak} bytes during the flood");
    }

    [Theory(Timeout = 120_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task AFloodPastMaxTurnOutputBytes_FailsProtocolError_AndRetiresTheProcess(string family)
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p =>
        {
            (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 2);
            p.MaxTurnOutputBytes = 8L * 1024 * 1024;
        });
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);

        // Act
        var probe = MemoryProbe.Start();
        var request = new TurnRequest { Profile = family, Prompt = $"hello [[sim:flood:{Million}]]", ConversationId = "conversation-a" };
        var failed = await pools.Runner.RunAsync(request, new CountingSink(), cancellationToken);
        var figures = probe.Describe();
        var next = await pools.RunAsync(family, "again", "conversation-a", cancellationToken: cancellationToken);

        // Assert
        TestContext.Current.TestOutputHelper?.WriteLine($"{family}, a flood past 8 MiB: {figures}");
        Assert.Equal((TurnStatus.Failed, FailureReasons.ProtocolError), (failed.Status, failed.Reason));
        Assert.Contains("more than 8388608 bytes of output in one turn (MaxTurnOutputBytes)", failed.Message, StringComparison.Ordinal);
        Assert.Equal(TurnStatus.Succeeded, next.Status);
        Assert.NotEqual(failed.ProcessId, next.ProcessId);
        Assert.Equal(1, pools[family].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.TurnFailed));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task TwoHundredThousandGarbageLines_MakeAHandfulOfNotices_AndTheProcessServesTheNextTurn(string family)
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);
        var events = new EventCollector();

        // Act
        var garbage = await pools.RunAsync(family, "hello [[sim:garbage:200000]]", "conversation-a", events,
            cancellationToken: cancellationToken);
        var next = await pools.RunAsync(family, "again", "conversation-a", cancellationToken: cancellationToken);

        // Assert: ten notices of their own, then one at 100, 1 000, 10 000 and 100 000 lines.
        Assert.True(garbage.Status == TurnStatus.Succeeded, $"{garbage.Status} {garbage.Reason}: {garbage.Message}");
        Assert.StartsWith("Echo: hello", garbage.Text, StringComparison.Ordinal);
        var notices = events.OfType<AgentNotice>().ToList();
        Assert.True(notices.Count == 14, $"{notices.Count} notices for 200 000 garbage lines");
        Assert.StartsWith("100000 lines were skipped in this turn so far", notices[^1].Message, StringComparison.Ordinal);
        Assert.Equal(TurnStatus.Succeeded, next.Status);
        Assert.Equal(garbage.ProcessId, next.ProcessId);
    }
}
