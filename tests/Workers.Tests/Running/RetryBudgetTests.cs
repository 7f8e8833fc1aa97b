using Workers.Metrics;
using Workers.Processes;
using Workers.Tests.Pooling.Scripted;
using Workers.Turns;

namespace Workers.Tests.Running;

/// <summary>The two purses of a turn's retries (<c>specs/pool.md</c>, "Retry budget"): a process killed from outside (SIGKILL or
/// SIGTERM that Workers did not send) is rerun from <c>Pool:RetriesAfterKill</c> first, a process that failed on its own, or that
/// Workers killed, from <c>Pool:MaxAttempts</c>.</summary>
public sealed class RetryBudgetTests : IAsyncDisposable
{
    private readonly WorkerMetrics _metrics = new(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
    private readonly Queue<Func<TurnContext, ScriptedConnection, TurnOutcome>> _plays = new();
    private readonly ScriptedRunner _scripted;

    public RetryBudgetTests()
    {
        _scripted = new ScriptedRunner(maxProcesses: 2, _metrics,
            profile => (profile.Pool.MaxAttempts, profile.Pool.RetriesAfterKill) = (2, 3));
        _scripted.Launcher.PlayTurn = (turn, connection) => _plays.Dequeue()(turn, connection);
        _scripted.Pool.Start();
    }

    [Fact]
    public async Task OutsideKills_AreRerunPastMaxAttempts_UpToRetriesAfterKill()
    {
        // Three outside kills (before output, after text, by SIGTERM) use the kill purse; MaxAttempts 2 would have allowed one rerun.
        _plays.Enqueue(ScriptedPlays.KilledFromOutsideAfter(ProcessGroup.SigKill));
        _plays.Enqueue(ScriptedPlays.KilledFromOutsideAfter(ProcessGroup.SigKill, new TextDelta("partial ")));
        _plays.Enqueue(ScriptedPlays.KilledFromOutsideAfter(ProcessGroup.SigTerm));
        _plays.Enqueue(ScriptedPlays.Answers("the answer"));
        var events = new EventList();

        var result = await RunAsync(events);

        Assert.Equal((TurnStatus.Succeeded, "the answer", 4), (result.Status, result.Text, result.Attempts));
        Assert.All(events.All.OfType<AgentNotice>(), n => Assert.Contains("killed from outside", n.Message, StringComparison.Ordinal));
        Assert.Equal(2, _metrics.Retries.WithLabels("p", FailureReasons.ProcessExitBeforeOutput, "nothing", "outside_kill").Value);
        Assert.Equal(1, _metrics.Retries.WithLabels("p", FailureReasons.ProcessExitMidStream, "text", "outside_kill").Value);
    }

    [Fact]
    public async Task OutsideKills_PastTheirPurse_ArePaidFromMaxAttempts_ThenTheTurnFailsNamingBoth()
    {
        for (var i = 0; i < 5; i++)
        {
            _plays.Enqueue(ScriptedPlays.KilledFromOutsideAfter(ProcessGroup.SigKill));
        }

        var result = await RunAsync(new EventList());

        // 3 reruns after a kill, 1 more from MaxAttempts 2, then no more: five attempts.
        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessExitBeforeOutput, 5), (result.Status, result.Reason, result.Attempts));
        Assert.Contains("2 of 2 attempts used (Pool:MaxAttempts) and 3 of 3 reruns after an outside kill (Pool:RetriesAfterKill)",
            result.Message, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.Retries.WithLabels("p", FailureReasons.ProcessExitBeforeOutput, "nothing", "agent").Value);
        Assert.Empty(_plays);
    }

    [Fact]
    public async Task DeathsOfTheAgentsOwn_AreCountedAgainstMaxAttemptsOnly()
    {
        // An exit with code 1 and a SIGKILL the service sent itself say the agent (or its turn) went wrong: the kill purse stays shut.
        _plays.Enqueue(ScriptedPlays.DiesAfter(new TextDelta("partial ")));
        _plays.Enqueue(ScriptedPlays.KilledByWorkersAfter(new TextDelta("partial again ")));
        var events = new EventList();

        var result = await RunAsync(events);

        Assert.Equal((TurnStatus.Failed, FailureReasons.ProcessExitMidStream, 2), (result.Status, result.Reason, result.Attempts));
        Assert.Single(events.All.OfType<RetryStarted>());
        Assert.Contains("Not retried after text: 2 of 2 attempts used (Pool:MaxAttempts) and 0 of 3", result.Message, StringComparison.Ordinal);
        Assert.Empty(_plays);
    }

    private Task<TurnResult> RunAsync(EventList events) =>
        _scripted.Runner.RunAsync(new TurnRequest { Id = "t1", ConversationId = "conv", Profile = "p", Prompt = "hello" }, events,
            TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _scripted.DisposeAsync();
}
