using Workers.Reports;

namespace Workers.Benchmarks;

/// <summary>Percentile bootstrap of medians (nearest rank, as every row of the benchmarks): the statistic on the samples as they
/// are, and the 2.5th and 97.5th percentiles of it over resamples drawn with replacement, each sample at its own size.</summary>
internal static class Bootstrap
{
    /// <summary>Median of <paramref name="a"/> − median of <paramref name="b"/>, each resampled apart.</summary>
    public static (double Estimate, double Low, double High) MedianDifference(IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples,
        int seed) => Interval([a, b], samples => Median(samples[0]) - Median(samples[1]), resamples, seed);

    /// <summary>Median of <paramref name="values"/> (paired differences, say).</summary>
    public static (double Estimate, double Low, double High) Median(IReadOnlyList<double> values, int resamples, int seed) =>
        Interval([values], samples => Median(samples[0]), resamples, seed);

    private static double Median(IReadOnlyList<double> values) => Percentiles.Of(values, 50) ?? double.NaN;

    private static (double Estimate, double Low, double High) Interval(IReadOnlyList<double>[] samples,
        Func<IReadOnlyList<double>[], double> statistic, int resamples, int seed)
    {
        if (samples.Any(s => s.Count == 0))
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        var random = new Random(seed);
        var drawn = samples.Select(s => new double[s.Count]).ToArray();
        var statistics = new double[resamples];
        for (var i = 0; i < resamples; i++)
        {
            for (var k = 0; k < samples.Length; k++)
            {
                for (var j = 0; j < drawn[k].Length; j++)
                {
                    drawn[k][j] = samples[k][random.Next(samples[k].Count)];
                }
            }

            statistics[i] = statistic(drawn);
        }

        return (statistic(samples), Percentiles.Of(statistics, 2.5)!.Value, Percentiles.Of(statistics, 97.5)!.Value);
    }
}
