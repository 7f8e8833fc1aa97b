namespace Workers.Reports;

/// <summary>Nearest-rank percentiles, the one definition the reports, the demo and the benchmarks share.</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="percentile"/>th (0–100) nearest-rank percentile of <paramref name="values"/>; null when empty.</summary>
    public static double? Of(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
