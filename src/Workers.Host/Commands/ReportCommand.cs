using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Workers.Families;
using Workers.Serialization;
using Workers.Hosting;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Reports;
using Workers.Running;
using Workers.Sessions;
using Workers.Store.Sqlite;
using Workers.Turns;

namespace Workers.Host.Commands;

/// <summary><c>workers report --profile P [--since 7d] [--json] [--paired N]</c>: the go/no-go analysis from the stored turn
/// records, and optionally the paired fresh/resumed/live experiment on the profile.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile", "-p") { Description = "The profile to analyse.", Required = true };
        var since = new Option<string>("--since") { Description = "How far back: e.g. 7d, 12h, 30m.", DefaultValueFactory = _ => "7d" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var paired = new Option<int>("--paired") { Description = "Also run N (≥ 30) pairs of the same continued turn fresh, resumed and live." };
        var command = new Command("report", "The go/no-go analysis: does session reuse, a warm pool, or neither cut the wait before the first token?")
        {
            profile, since, json, paired,
        };
        command.SetAction((parse, cancellationToken) =>
            ExecuteAsync(parse.GetValue(profile)!, parse.GetValue(since)!, parse.GetValue(json), parse.GetValue(paired), cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(string profile, string since, bool json, int pairs, CancellationToken cancellationToken)
    {
        if (!TryParseSpan(since, out var window))
        {
            await Console.Error.WriteLineAsync($"--since '{since}' is not a duration like 7d, 12h or 30m.");
            return 2;
        }

        if (pairs is > 0 and < 30)
        {
            await Console.Error.WriteLineAsync($"--paired {pairs}: at least 30 pairs are needed for a meaningful interval.");
            return 2;
        }

        var builder = WorkersHostBuilder.Create([], LogLevel.Warning);
        builder.Services.AddWorkerPools(builder.Configuration);
        using var host = builder.Build();
        var catalog = host.Services.GetRequiredService<ProfileCatalog>();
        if (!catalog.TryGet(profile, out _))
        {
            await Console.Error.WriteLineAsync($"No profile named '{profile}'. Known: {string.Join(", ", catalog.All.Select(p => p.Name))}.");
            return 2;
        }

        var database = Path.Combine(catalog.DataDirectory, "workers.db");
        var results = new List<TurnResult>();
        if (File.Exists(database))
        {
            await using var store = new SqliteTurnStore(database);
            foreach (var record in await store.ListResultsAsync(profile, TimeProvider.System.GetUtcNow() - window, cancellationToken))
            {
                if (JsonSerializer.Deserialize<TurnResult>(record, WorkersJson.Options) is { } result)
                {
                    results.Add(result);
                }
            }
        }

        var report = GoNoGoReport.From(profile, results);
        PairedResult? pairedResult = null;
        if (pairs > 0)
        {
            pairedResult = await RunPairsAsync(host.Services, profile, pairs, cancellationToken);
        }

        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { report, paired = pairedResult }, WorkersJson.Options));
        }
        else
        {
            Print(report, since);
            if (pairedResult is not null)
            {
                Print(pairedResult);
            }
        }

        return 0;
    }

    private static async Task<PairedResult> RunPairsAsync(IServiceProvider services, string profile, int pairs, CancellationToken cancellationToken)
    {
        var temporary = Directory.CreateTempSubdirectory("workers-paired-").FullName;
        try
        {
            var pools = services.GetRequiredService<PoolRegistry>();
            await using (pools)
            {
                using var store = new JsonFileConversationSessionStore(Path.Combine(temporary, "sessions.json"));
                var catalog = services.GetRequiredService<ProfileCatalog>();
                var time = services.GetRequiredService<TimeProvider>();
                var pooled = new PooledTurnRunner(catalog, pools, new SessionRegistry(store, pools), time);
                var comparison = new PairedComparison(pooled, services.GetRequiredService<SpawnPerTurnRunner>(), pools);
                try
                {
                    return await comparison.RunAsync(profile, pairs, cancellationToken);
                }
                finally
                {
                    await pools.StopAllAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
                    await services.GetRequiredService<Workers.Processes.OrphanWatchdog>().DisposeAsync();
                }
            }
        }
        finally
        {
            Directory.Delete(temporary, recursive: true);
        }
    }

    private static void Print(GoNoGoReport report, string since)
    {
        static string Percent(double? value) => value is { } v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "—";
        static string Ms(double? value) => value is { } v ? (v * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms" : "—";
        Console.WriteLine($"Go/no-go for profile {report.Profile}, last {since}: {report.TurnsConsidered} turns, {report.Population} successful " +
            "continued turns that opened or resumed a session.");
        Console.WriteLine();
        Console.WriteLine($"  session_init / spawn_to_first_token      p50 {Percent(report.SessionShare.P50),8}   p90 {Percent(report.SessionShare.P90),8}" +
            $"   (material if p50 ≥ {GoNoGoReport.SessionShareP50Threshold:P0} or p90 ≥ {GoNoGoReport.SessionShareP90Threshold:P0})");
        Console.WriteLine($"  cli_ready / spawn_to_first_token         p50 {Percent(report.CliReadyShare.P50),8}   p90 {Percent(report.CliReadyShare.P90),8}" +
            $"   (dominates if p50 ≥ {GoNoGoReport.CliShareP50Threshold:P0})");
        Console.WriteLine($"  model_first_token / spawn_to_first_token p50 {Percent(report.ModelShare.P50),8}   p90 {Percent(report.ModelShare.P90),8}");
        Console.WriteLine();
        Console.WriteLine($"  Decision: {string.Join(" + ", report.Decisions)}");
        Console.WriteLine();
        foreach (var (turn, quantiles) in report.SpawnToFirstTokenByTurn.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"  {turn,-9} turns: n {quantiles.Count,5}   spawn_to_first_token p50 {Ms(quantiles.P50),8}   p90 {Ms(quantiles.P90),8}");
        }

        Console.WriteLine($"  Rungs: {string.Join(", ", report.RungShare.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:P1}"))}");
        Console.WriteLine($"  Fidelity of {report.ContinuedWithFidelity} continued turns: " +
            (report.ContinuedWithFidelity == 0 ? "—" : string.Join(", ", ResumeFidelity.All.Where(report.FidelityShare.ContainsKey)
                .Select(f => $"{f} {report.FidelityShare[f]:P1}"))));
    }

    private static void Print(PairedResult result)
    {
        static string Ms(double seconds) => (seconds * 1000).ToString("0", CultureInfo.InvariantCulture);
        Console.WriteLine();
        Console.WriteLine($"Paired runs on {result.Profile}: {result.Pairs} pairs of the same continued turn (spawn_to_first_token, ms).");
        Console.WriteLine($"  live     mean {Ms(result.Live.Mean),6}  p50 {Ms(result.Live.P50),6}  p90 {Ms(result.Live.P90),6}");
        Console.WriteLine($"  resumed  mean {Ms(result.Resumed.Mean),6}  p50 {Ms(result.Resumed.P50),6}  p90 {Ms(result.Resumed.P90),6}");
        Console.WriteLine($"  fresh    mean {Ms(result.Fresh.Mean),6}  p50 {Ms(result.Fresh.P50),6}  p90 {Ms(result.Fresh.P90),6}");
        foreach (var (name, d) in new[] { ("resumed − live", result.ResumedMinusLive), ("fresh − live", result.FreshMinusLive),
                     ("fresh − resumed", result.FreshMinusResumed) })
        {
            Console.WriteLine($"  {name,-16} {Ms(d.Mean),6} ms  (95 % CI {Ms(d.Low)} … {Ms(d.High)})");
        }
    }

    private static bool TryParseSpan(string text, out TimeSpan span)
    {
        span = default;
        if (text.Length < 2 || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return false;
        }

        span = text[^1] switch
        {
            'd' => TimeSpan.FromDays(value),
            'h' => TimeSpan.FromHours(value),
            'm' => TimeSpan.FromMinutes(value),
            _ => TimeSpan.Zero,
        };
        return span > TimeSpan.Zero;
    }
}
