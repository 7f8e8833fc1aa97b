namespace Workers.Chaos;

/// <summary>The runs invariant: within a conversation, taken in the producer's order, every attempt of every turn starts
/// no earlier than the one before it ended (times to the millisecond, as stored), and the service numbered the turns in
/// the order they were sent.</summary>
internal static class ConversationOrder
{
    /// <returns>Overlapping pairs of attempts, turns out of order, and a line for each.</returns>
    public static (int Overlaps, int OutOfOrder, List<string> Problems) Check(IEnumerable<TurnAudit> audits)
    {
        var overlaps = 0;
        var outOfOrder = 0;
        var problems = new List<string>();
        foreach (var conversation in audits.GroupBy(a => a.Turn.ConversationId))
        {
            var turns = conversation.OrderBy(a => a.Turn.Sequence).ToList();
            (string Turn, RunRow Run)? previous = null;
            DateTimeOffset? previousClaim = null;
            foreach (var audit in turns)
            {
                if (audit.Runs.Count > 0 && previousClaim is { } before && audit.Runs[0].StartedAt < before)
                {
                    outOfOrder++;
                    problems.Add($"{audit.Turn.Id} was claimed before the turn ahead of it");
                }

                foreach (var run in audit.Runs.OrderBy(r => r.Attempt))
                {
                    if (previous is { } last && (last.Run.FinishedAt is not { } finished || run.StartedAt < finished))
                    {
                        overlaps++;
                        problems.Add($"{audit.Turn.Id} attempt {run.Attempt} started {run.StartedAt:O} while {last.Turn} attempt {last.Run.Attempt} "
                            + $"ran (ended {last.Run.FinishedAt?.ToString("O") ?? "never"}, {last.Run.Outcome})");
                    }

                    previous = (audit.Turn.Id, run);
                }

                previousClaim = audit.Runs.Count > 0 ? audit.Runs[0].StartedAt : previousClaim;
            }

            foreach (var audit in turns.Where(a => a.ServiceSequence != a.Turn.Sequence))
            {
                outOfOrder++;
                problems.Add($"{audit.Turn.Id} was sent as turn {audit.Turn.Sequence} of its conversation but numbered {audit.ServiceSequence}");
            }
        }

        return (overlaps, outOfOrder, problems);
    }
}
