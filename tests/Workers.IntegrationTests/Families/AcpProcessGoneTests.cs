using Workers.Families;
using Workers.IntegrationTests.Support;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Families;

/// <summary>A prompt sent to an ACP agent that has just died ends as that process's exit, whichever way the loss shows: the
/// answer that never comes (a lost connection), or the write refused because the agent's stdin was already closed (the
/// chaos suite saw the second fail turns <c>unclassified</c>, as a bug of ours). Which of the two a kill produces depends
/// on whether JSON-RPC has read the end of stdout before the prompt is written: here mostly the first; the second is
/// reached under the chaos suite's load.</summary>
public sealed class AcpProcessGoneTests
{
    [Fact(Timeout = 30_000)]
    public async Task PromptToAProcessKilledAfterItsSessionOpened_EndsAsAProcessExit()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp);
        await using var connection = sim.Launch(Acp);
        await connection.WaitReadyAsync(ct);
        var turn = sim.NewTurn(Acp, "one", new EventCollector());
        await SessionRung.OpenAsync(connection, new SessionRequest(null, turn.WorkingDirectory), turn, ct);

        await connection.Process.KillAsync();
        var outcome = await connection.RunTurnAsync(turn, ct);

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessExitBeforeOutput), (outcome.Status, outcome.Reason));
    }
}
