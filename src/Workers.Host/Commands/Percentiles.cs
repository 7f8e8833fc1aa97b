namespace Workers.Host.Commands;

internal static class Percentiles
{
    /// <summary>The nearest-rank percentile of <paramref name="values"/> (null when empty), as the benchmarks compute it.</summary>
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
