using Workers.Chaos;

namespace Workers.IntegrationTests.Chaos;

/// <summary>The chaos suite's checks catch what they are there to catch: a check that cannot fail proves nothing.</summary>
public sealed class ChaosChecksTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 16, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ConversationOrder_FindsAnAttemptThatStartedBeforeThePreviousEnded_AndATurnNumberedOutOfOrder()
    {
        var first = Audit("c-t1", 1, 1, [new RunRow(1, T0, T0.AddSeconds(10), "lost"), new RunRow(2, T0.AddSeconds(5), T0.AddSeconds(12), "succeeded")]);
        var second = Audit("c-t2", 2, 3, [new RunRow(1, T0.AddSeconds(12), T0.AddSeconds(13), "succeeded")]);

        var (overlaps, outOfOrder, problems) = ConversationOrder.Check([second, first]);

        Assert.Equal(1, overlaps);
        Assert.Equal(1, outOfOrder);
        Assert.Contains(problems, p => p.StartsWith("c-t1 attempt 2", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("numbered 3", StringComparison.Ordinal));
    }

    [Fact]
    public void ConversationOrder_AcceptsBackToBackAttempts_AndTakesARunStillRunningAsOverlappingTheNext()
    {
        var clean = ConversationOrder.Check([
            Audit("a-t1", 1, 1, [new RunRow(1, T0, T0.AddSeconds(1), "succeeded")]),
            Audit("a-t2", 2, 2, [new RunRow(1, T0.AddSeconds(1), T0.AddSeconds(2), "succeeded")])]);
        var open = ConversationOrder.Check([
            Audit("b-t1", 1, 1, [new RunRow(1, T0, null, "running")]),
            Audit("b-t2", 2, 2, [new RunRow(1, T0.AddSeconds(1), T0.AddSeconds(2), "succeeded")])]);

        Assert.Equal((0, 0), (clean.Overlaps, clean.OutOfOrder));
        Assert.Equal(1, open.Overlaps);
    }

    [Theory]
    [InlineData("succeeded", new[] { "completed" }, 0, 1, null)]
    [InlineData("succeeded", new[] { "failed", "completed" }, 0, 1, "2 terminal events")]
    [InlineData("succeeded", new[] { "completed" }, 1, 1, "1 events after")]
    [InlineData("failed", new[] { "completed" }, 0, 1, "terminal event completed")]
    [InlineData("succeeded", new[] { "completed" }, 0, 2, "not in attempt 2's block")]
    [InlineData("running", new string[0], 0, 1, "record is running")]
    public void TerminalProblem_NamesEveryWayATurnIsNotTerminalExactlyOnce(string status, string[] terminals, int after, int attempts, string? problem)
    {
        var audit = Audit("t", 1, 1, [], status) with
        {
            Attempts = attempts,
            Terminals = [.. terminals.Select((type, i) => ((long)i + 5, type, (string?)null))],
            EventsAfterTerminal = after,
        };

        Assert.Equal(problem is null, audit.TerminalProblem() is null);
        if (problem is not null)
        {
            Assert.Contains(problem, audit.TerminalProblem(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ToolRuns_CountsEachTurnByTheLastMarkerOfItsPrompt()
    {
        var log = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(log, [
                """{"pid":1,"toolCallId":"a","prompt":"chaos-turn:c-t1 build [[sim:permission]]"}""",
                """{"pid":2,"toolCallId":"b","prompt":"The conversation so far…\n[user]\nchaos-turn:c-t1 build\n\n[user — the new message]\nchaos-turn:c-t2 logs [[sim:permission]]"}""",
                """{"pid":3,"toolCallId":"c","prompt":"chaos-turn:c-t2 logs [[sim:permission]]"}""",
            ]);

            var runs = ToolRuns.PerTurn(log);

            Assert.Equal(1, runs["c-t1"]);
            Assert.Equal(2, runs["c-t2"]);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public void MetricsText_SumsACounterOfOneProfileByReason()
    {
        const string text = """
            # HELP workers_process_exits_total Processes that left a pool, by reason.
            # TYPE workers_process_exits_total counter
            workers_process_exits_total{profile="sim-acp",reason="crashed"} 3
            workers_process_exits_total{profile="sim-acp",reason="killed"} 2
            workers_process_exits_total{profile="sim-claude",reason="crashed"} 7
            process_working_set_bytes 123456789
            """;

        var exits = MetricsText.ByLabel(text, "workers_process_exits_total", "profile", "sim-acp", "reason");

        Assert.Equal(new Dictionary<string, double> { ["crashed"] = 3, ["killed"] = 2 }, exits);
        Assert.Equal(123456789, MetricsText.Single(text, "process_working_set_bytes"));
    }

    private static TurnAudit Audit(string id, int sequence, int serviceSequence, IReadOnlyList<RunRow> runs, string status = "succeeded") =>
        new(new AcceptedTurn(id, id.Split('-')[0], sequence, UsesTool: false), serviceSequence, status, null, null, Math.Max(1, runs.Count), runs,
            [(1, "completed", null)], 1, 0);
}
