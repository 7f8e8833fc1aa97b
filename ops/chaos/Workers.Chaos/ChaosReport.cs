using System.Globalization;
using Workers.Turns;

namespace Workers.Chaos;

/// <summary>One invariant of the run: whether it held, and what broke it.</summary>
public sealed record Invariant(string Name, bool Holds, string Detail);

/// <summary>The end of a chaos run: its figures and its invariants (<c>specs/reliability.md</c> keeps the last long run's).</summary>
public sealed class ChaosReport
{
    private readonly List<(string Name, string Value)> _figures = [];

    public IReadOnlyList<Invariant> Invariants { get; }

    public int Turns { get; }

    public int Succeeded { get; }

    /// <summary>Succeeded turns over accepted turns.</summary>
    public double SuccessRate => Turns == 0 ? 0 : (double)Succeeded / Turns;

    public bool AllHold => Invariants.All(i => i.Holds);

    internal ChaosReport(ChaosOptions options, ChaosJournal journal, IReadOnlyList<TurnAudit> audits, RunTimings timings)
    {
        Turns = audits.Count;
        Succeeded = audits.Count(a => a.Status == "succeeded");
        var failed = audits.Where(a => a.Status is "failed" or "cancelled").ToList();
        var lost = audits.Count(a => !a.IsTerminal);
        var terminalProblems = audits.Select(a => (a.Turn.Id, Problem: a.TerminalProblem())).Where(p => p.Problem is not null).ToList();
        var (overlaps, outOfOrder, orderProblems) = ConversationOrder.Check(audits);
        var toolRuns = ToolRuns.PerTurn(options.ToolLog);
        var accepted = audits.Select(a => a.Turn.Id).ToHashSet(StringComparer.Ordinal);
        var repeated = toolRuns.Where(r => accepted.Contains(r.Key) && r.Value > 1).ToList();
        var unnamed = failed.Where(a => a.Reason is not { } reason || reason == FailureReasons.Unclassified || !FailureReasons.All.Contains(reason))
            .ToList();
        var kills = journal.Kills;
        var serviceKills = journal.ServiceKills;
        var orphaned = serviceKills.SelectMany(k => k.AliveAfter).ToList();
        var uncounted = journal.Segments.Where(s => s.CountedDeaths < s.ConfirmedDeaths).ToList();

        Figure("turns", $"{Turns} accepted over {audits.Select(a => a.Turn.ConversationId).Distinct().Count()} conversations "
            + $"({audits.Count(a => a.Turn.UsesTool)} asked for a tool), in {timings.Elapsed.TotalSeconds:0} s");
        Figure("success rate", $"{SuccessRate:P2} ({Succeeded} succeeded, {failed.Count} failed or cancelled, {lost} lost)");
        Figure("failures by reason", Counts(failed.GroupBy(a => a.Reason ?? "(none)").OrderByDescending(g => g.Count())));
        Figure("timeouts", $"{failed.Count(a => a.Reason is { } r && r.EndsWith("_timeout", StringComparison.Ordinal))} turns failed on a timeout");
        Figure("attempts", $"{audits.Count(a => a.Attempts > 1)} turns claimed more than once; "
            + $"{audits.Sum(a => a.Runs.Count(r => r.Outcome == "lost"))} attempts lost");
        Figure("agent kills", $"{kills.Count} ({Counts(kills.GroupBy(k => $"{k.Signal} {k.Stage}").OrderBy(g => g.Key, StringComparer.Ordinal))})");
        Figure("stopped processes left alive", $"{timings.StoppedLeftAlive}");
        Figure("service kills", $"{serviceKills.Count}; agents gone after at most "
            + $"{(serviceKills.Count == 0 ? "-" : Seconds(serviceKills.Max(k => k.LastGone ?? ServiceKiller.OrphanGrace)))}");
        Figure("overlaps", $"{overlaps} overlapping attempts, {outOfOrder} turns out of order");
        Figure("tool calls", options.ToolLog is null ? "not checked (no tool log)"
            : $"{toolRuns.Where(r => accepted.Contains(r.Key)).Sum(r => r.Value)} run for {toolRuns.Count(r => accepted.Contains(r.Key))} turns; "
              + $"{repeated.Sum(r => r.Value - 1)} repeated");
        Figure("recovery", timings.Recovery is { } recovery
            ? $"{Seconds(recovery)} to the ready target after the kills stopped "
              + $"(bound {Seconds(timings.RecoveryBound)}: 2 × warm-up {Seconds(timings.Warmup)})"
            : $"not back at the ready target within {Seconds(RunTimings.RecoveryLimit)}");
        Figure("deaths on /metrics", Join(journal.Segments.Select(s =>
            $"lifetime {s.Number}: {s.ConfirmedDeaths} caused, {s.CountedDeaths:0} counted "
            + $"({Join(s.ExitsByReason.Select(e => $"{e.Key} {e.Value:0}"))})")));
        Figure("peak service RSS", timings.PeakRssBytes > 0 ? $"{timings.PeakRssBytes / (1024.0 * 1024):0} MiB" : "unknown");

        Invariants =
        [
            new("every accepted turn terminal exactly once", terminalProblems.Count == 0,
                Join(terminalProblems.Take(5).Select(p => $"{p.Id}: {p.Problem}"))),
            new("no two attempts of a conversation overlapping, none out of order", overlaps == 0 && outOfOrder == 0, Join(orderProblems.Take(5))),
            new("no tool call executed by two attempts", repeated.Count == 0, Join(repeated.Take(5).Select(r => $"{r.Key} ran {r.Value} tools"))),
            new("every failure named", unnamed.Count == 0,
                Join(unnamed.Take(5).Select(a => $"{a.Turn.Id}: {a.Reason ?? "no reason"} ({a.Message})"))),
            new("pool back at its ready target within 2 x its warm-up", timings.Recovery is { } r2 && r2 <= timings.RecoveryBound,
                timings.Recovery is null ? "never" : Seconds(timings.Recovery.Value)),
            new("no agent alive 10 s after the service was SIGKILLed", orphaned.Count == 0,
                Join(orphaned.Select(p => p.ToString(CultureInfo.InvariantCulture)))),
            new("each death counted on /metrics by reason", uncounted.Count == 0,
                Join(uncounted.Select(s => $"lifetime {s.Number}: {s.ConfirmedDeaths} caused, {s.CountedDeaths:0} counted"))),
        ];
    }

    public void Print(TextWriter output)
    {
        output.WriteLine("Chaos run:");
        foreach (var (name, value) in _figures)
        {
            output.WriteLine($"  {name,-30} {value}");
        }

        output.WriteLine("Invariants:");
        foreach (var invariant in Invariants)
        {
            var detail = invariant.Detail.Length > 0 ? ": " + invariant.Detail : string.Empty;
            output.WriteLine($"  [{(invariant.Holds ? "ok" : "BROKEN")}] {invariant.Name}{detail}");
        }
    }

    private void Figure(string name, string value) => _figures.Add((name, value));

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.00 's'", CultureInfo.InvariantCulture);

    private static string Join(IEnumerable<string> parts) => string.Join(", ", parts);

    private static string Counts<T>(IEnumerable<IGrouping<string, T>> groups) => Join(groups.Select(g => $"{g.Key} {g.Count()}"));
}

/// <summary>The run's measured times: how long it took, the pool's recovery once kills stopped, and what it is held to.</summary>
internal sealed record RunTimings(TimeSpan Elapsed, TimeSpan? Recovery, TimeSpan Warmup, int StoppedLeftAlive, long PeakRssBytes)
{
    public static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(60);

    public TimeSpan RecoveryBound => Warmup * 2;
}
