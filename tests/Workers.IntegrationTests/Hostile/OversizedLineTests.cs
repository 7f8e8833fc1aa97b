using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>A pooled agent writes one 100 MB stdout line (a valid JSON message, as a real CLI's oversized tool result would be):
/// the line is cut at <c>MaxLineBytes</c> as it is read, never held whole; the turn fails <c>protocol_error</c> naming the limit;
/// the process is retired, not handed to the next turn, which succeeds on a fresh one (issue 12, "Hostile agents at volume").</summary>
[Collection(HostileVolumeCollection.Name)]
public sealed class OversizedLineTests
{
    private const int HundredMegabytes = 100 * 1024 * 1024;

    [Theory(Timeout = 120_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task A100MegabyteLine_IsCutUnheld_FailsTheTurnProtocolError_AndRetiresTheProcess(string family)
    {
        // Arrange: one warm process at the default MaxLineBytes (8 MiB); no retry, so the 100 MB are written once.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(family, configure: p => (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses, p.Pool.MaxAttempts) = (1, 1, 2, 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);

        // Act
        var probe = MemoryProbe.Start();
        var failed = await pools.RunAsync(family, $"big [[sim:oversized:{HundredMegabytes}]]", "conversation-a",
            cancellationToken: cancellationToken);
        var (allocated, peak, figures) = (probe.AllocatedBytes, probe.PeakResidentGrowthBytes, probe.Describe());
        var next = await pools.RunAsync(family, "hello", "conversation-b", cancellationToken: cancellationToken);

        // Assert
        TestContext.Current.TestOutputHelper?.WriteLine($"{family}: a {HundredMegabytes}-byte line: {figures}");
        Assert.Equal((TurnStatus.Failed, FailureReasons.ProtocolError), (failed.Status, failed.Reason));
        Assert.Contains("(MaxLineBytes)", failed.Message, StringComparison.Ordinal);
        Assert.Equal(TurnStatus.Succeeded, next.Status);
        Assert.NotEqual(failed.ProcessId, next.ProcessId);
        Assert.Equal(1, pools[family].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.TurnFailed));
        // The line buffer grows to MaxLineBytes at most (8 MiB, ~16 MiB allocated while it doubles); the rest is read through.
        Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated} bytes while a {HundredMegabytes}-byte line went by");
        Assert.True(peak < 64L * 1024 * 1024, $"the resident set grew by {peak} bytes while a {HundredMegabytes}-byte line went by");
    }
}
