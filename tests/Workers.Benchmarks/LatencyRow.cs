using System.Globalization;
using Workers.Reports;

namespace Workers.Benchmarks;

/// <summary>One row of latencies in ms, reported the way issue 15's targets are written: n and p50 / p90 / p99
/// (nearest rank, <see cref="Percentiles"/>).</summary>
internal sealed record LatencyRow(IReadOnlyList<double> Milliseconds)
{
    public int Count => Milliseconds.Count;

    public double? P(double percentile) => Percentiles.Of(Milliseconds, percentile);

    /// <summary>"p50 / p90 / p99" with one decimal below 100 ms (the service overhead is a few ms) and none above.</summary>
    public string Cell() => Count == 0 ? "—" : $"{Format(P(50))} / {Format(P(90))} / {Format(P(99))}";

    /// <summary>This row minus <paramref name="floor"/>, percentile by percentile: the overhead over the floor.</summary>
    public string OverCell(LatencyRow floor) => Count == 0 || floor.Count == 0
        ? "—"
        : $"{Format(P(50) - floor.P(50))} / {Format(P(90) - floor.P(90))} / {Format(P(99) - floor.P(99))}";

    public static string Format(double? ms) => ms switch
    {
        null => "—",
        var v when Math.Abs(v.Value) < 100 => v.Value.ToString("0.0", CultureInfo.InvariantCulture),
        var v => v.Value.ToString("0", CultureInfo.InvariantCulture),
    };
}
