namespace Workers.Chaos;

/// <summary>Each death this run causes must be counted on the service's <c>/metrics</c> by reason
/// (<c>workers_process_exits_total</c>). Counters start over with each service lifetime, so the check is per lifetime:
/// at its end (before a service kill, or once the run is over) the processes signalled in it that the service no longer
/// lists are compared with its counted deaths.</summary>
internal static class DeathAccounting
{
    public const string ExitsMetric = "workers_process_exits_total";

    public static async Task CloseSegmentAsync(ChaosOptions options, WorkersClient client, ChaosJournal journal, CancellationToken cancellationToken)
    {
        var number = journal.CurrentSegment;
        var listed = await PoolView.ProcessesAsync(client, options.Profile, cancellationToken);
        var text = await client.TryGetTextAsync("/metrics", cancellationToken);
        if (listed is null || text is null)
        {
            // The service did not answer: nothing can be compared for this lifetime.
            journal.Close(new Segment(number, 0, new Dictionary<string, double>()));
            return;
        }

        var stillListed = listed.Select(p => p.Pid).ToHashSet();
        var confirmed = journal.Kills.Where(k => k.Segment == number && !stillListed.Contains(k.Pid))
            .Select(k => (k.Pid, k.StartTime)).Distinct().Count();
        journal.Close(new Segment(number, confirmed, MetricsText.ByLabel(text, ExitsMetric, "profile", options.Profile, "reason")));
    }
}
