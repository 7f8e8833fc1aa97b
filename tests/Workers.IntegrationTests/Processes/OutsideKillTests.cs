using Workers.IntegrationTests.Support;
using Workers.Processes;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Processes;

/// <summary>On real agent processes: a SIGKILL or SIGTERM from someone else is an outside kill (its turn is rerun from
/// <c>Pool:RetriesAfterKill</c>), the same signals sent by the service itself are not, nor is a process that exits on its own.</summary>
public sealed class OutsideKillTests
{
    [Theory(Timeout = 30_000)]
    [InlineData(ProcessGroup.SigKill)]
    [InlineData(ProcessGroup.SigTerm)]
    public async Task SignalFromSomeoneElse_IsAnOutsideKill(int signal)
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp);
        await using var connection = sim.Launch(Acp);
        await connection.WaitReadyAsync(TestContext.Current.CancellationToken);

        Assert.True(ProcessGroup.Signal(connection.Process.ProcessId, signal));
        var exit = await connection.Process.Exited.WaitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(signal, exit.Signal);
        Assert.False(connection.Process.SignalledByWorkers);
        Assert.True(OutsideKill.Applies(connection.Process, exit));
        Assert.True(OutsideKill.Ended(connection.Process));
    }

    [Fact(Timeout = 30_000)]
    public async Task KillSentByTheService_IsNotAnOutsideKill()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp);
        await using var connection = sim.Launch(Acp);
        await connection.WaitReadyAsync(TestContext.Current.CancellationToken);

        var exit = await connection.Process.KillAsync();

        Assert.Equal(ProcessGroup.SigKill, exit.Signal);
        Assert.True(connection.Process.SignalledByWorkers);
        Assert.False(OutsideKill.Applies(connection.Process, exit));
    }

    [Fact(Timeout = 30_000)]
    public async Task ExitOnItsOwn_IsNotAnOutsideKill()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_FAULT"] = "crash:startup" });
        await using var connection = sim.Launch(Acp);

        var exit = await connection.Process.Exited.WaitAsync(TestContext.Current.CancellationToken);

        Assert.Null(exit.Signal);
        Assert.False(OutsideKill.Applies(connection.Process, exit));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunningProcess_HasNotEnded()
    {
        await using var sim = new SimHarness();
        sim.AddProfile(Acp);
        await using var connection = sim.Launch(Acp);
        await connection.WaitReadyAsync(TestContext.Current.CancellationToken);

        Assert.False(OutsideKill.Ended(connection.Process));
    }
}
