using System.Globalization;
using Workers.Reports;

namespace Workers.Host.Commands;

/// <summary>The demo's plain-text table: per profile, mode and turn kind, how long the producer waited for the first
/// token; then how many times longer spawn-per-turn made it wait, and which rungs served the pooled turns.</summary>
internal static class DemoReport
{
    private static readonly string[] Kinds = ["first", "continued"];
    private static readonly string[] Modes = [DemoTurn.Pool, DemoTurn.SpawnPerTurn];

    public static void Write(TextWriter output, IReadOnlyList<string> profiles, IReadOnlyList<DemoTurn> turns)
    {
        const string Row = "{0,-11} {1,-15} {2,-10} {3,3} {4,10} {5,10} {6,10} {7,10}";
        output.WriteLine($"{"times in ms",-42} {"spawn_to_first_token",21} {"time_to_first_token",21}");
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, "profile", "mode", "turn", "n", "p50", "p90", "p50", "p90"));
        foreach (var profile in profiles)
        {
            foreach (var mode in Modes)
            {
                foreach (var kind in Kinds)
                {
                    var rows = Succeeded(turns, profile, mode, kind).ToList();
                    var spawnToFirstToken = rows.Select(t => t.SpawnToFirstTokenMs).OfType<double>().ToList();
                    // time_to_first_token adds the queue and lease waits, which only the service's turns have.
                    var timeToFirstToken = mode == DemoTurn.Pool ? rows.Select(t => t.TimeToFirstTokenMs).OfType<double>().ToList() : [];
                    output.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, profile, mode, kind, rows.Count,
                        Ms(spawnToFirstToken, 50), Ms(spawnToFirstToken, 90), Ms(timeToFirstToken, 50), Ms(timeToFirstToken, 90)).TrimEnd());
                }
            }
        }

        output.WriteLine();
        output.WriteLine("spawn-per-turn ÷ pool, p50 spawn_to_first_token:");
        foreach (var profile in profiles)
        {
            var ratios = Kinds.Select(kind => string.Create(CultureInfo.InvariantCulture,
                $"{kind} {P50(turns, profile, DemoTurn.SpawnPerTurn, kind) / P50(turns, profile, DemoTurn.Pool, kind):0.0}×"));
            output.WriteLine($"  {profile,-11} {string.Join(", ", ratios)}");
        }

        output.WriteLine("pooled turns were served by (process/session):");
        foreach (var profile in profiles)
        {
            var rungs = turns.Where(t => t.Profile == profile && t.Mode == DemoTurn.Pool && t.Succeeded)
                .GroupBy(t => $"{t.Process}/{t.Session}").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count()}"));
            output.WriteLine($"  {profile,-11} {string.Join(", ", rungs)}");
        }

        var failed = turns.Where(t => !t.Succeeded).ToList();
        if (failed.Count > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{failed.Count} turns did not succeed (left out above): ") +
                string.Join(", ", failed.GroupBy(t => $"{t.Profile} {t.Mode} {t.Reason ?? t.Status}").Select(g => $"{g.Key} ×{g.Count()}")));
        }
    }

    private static IEnumerable<DemoTurn> Succeeded(IEnumerable<DemoTurn> turns, string profile, string mode, string kind) =>
        turns.Where(t => t.Profile == profile && t.Mode == mode && t.Kind == kind && t.Succeeded);

    private static double? P50(IEnumerable<DemoTurn> turns, string profile, string mode, string kind) =>
        Percentiles.Of(Succeeded(turns, profile, mode, kind).Select(t => t.SpawnToFirstTokenMs).OfType<double>(), 50);

    private static string Ms(IReadOnlyList<double> values, double percentile) =>
        Percentiles.Of(values, percentile) is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) : "";
}
