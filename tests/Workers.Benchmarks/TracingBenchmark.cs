using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;
using Workers.Metrics;
using Workers.Store;
using Workers.Tracing;
using Workers.Turns;

namespace Workers.Benchmarks;

/// <summary>What tracing adds to the service's own work per turn (<c>specs/tracing.md</c>, issue 15's ≤ 2 ms overhead): the code
/// a turn runs for its trace — the root span at the claim, its segment spans and attributes at the end, the exemplars on the nine
/// turn histograms — with tracing off (no listener: the default) and on (the SDK with the OTLP exporter, http/protobuf, to a
/// collector on 127.0.0.1 in this process). The agent's time is not in it: it is the same either way.</summary>
internal static class TracingBenchmark
{
    public static async Task RunAsync(int turns, int rounds)
    {
        var exported = 0L;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var collector = builder.Build();
        collector.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Interlocked.Add(ref exported, body.Length);
            context.Response.ContentType = "application/x-protobuf";
        });
        await collector.StartAsync();

        Console.WriteLine($"# Tracing on vs off ({TimeProvider.System.GetUtcNow():yyyy-MM-dd}, {Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine($"{turns} turns per round, {rounds} rounds per mode, alternating; medians of the rounds. "
            + "Per turn: the trace's spans "
            + "and the record's metrics (RecordTurn); CPU includes the exporter's background thread and the final flush.");
        Console.WriteLine();
        Console.WriteLine("| mode | wall µs/turn | CPU µs/turn | allocated bytes/turn | exported bytes/turn |");
        Console.WriteLine("|---|---|---|---|---|");
        var off = new List<Round>();
        var on = new List<Round>();
        Measure(turns / 10, null);
        for (var round = 0; round < rounds; round++)
        {
            off.Add(Measure(turns, null));
            using var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(TurnTracing.SourceName)
                .AddOtlpExporter(o =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = new Uri($"{collector.Urls.First()}/v1/traces");
                    // Room for a whole round: a tight loop outruns any exporter, and a dropped span would not be paid for.
                    o.BatchExportProcessorOptions.MaxQueueSize = turns * 8;
                    o.BatchExportProcessorOptions.MaxExportBatchSize = 4096;
                })
                .Build();
            var before = Interlocked.Read(ref exported);
            on.Add(Measure(turns, provider));
            on[^1] = on[^1] with { ExportedBytes = (double)(Interlocked.Read(ref exported) - before) / turns };
        }

        Print("off (no OTEL_EXPORTER_OTLP_ENDPOINT)", off);
        Print("on (OTLP http/protobuf, batch)", on);
        var cpu = Median(on, r => r.CpuMicroseconds) - Median(off, r => r.CpuMicroseconds);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- tracing adds {cpu:0.0} µs of CPU per turn ({cpu / 1000:0.000} ms)."));
        await collector.StopAsync();
    }

    private static Round Measure(int turns, TracerProvider? provider)
    {
        var metrics = new WorkerMetrics(Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()));
        var enqueued = TimeProvider.System.GetUtcNow();
        var stored = new StoredTurn
        {
            Id = "bench-turn", ConversationId = "bench-conversation", Sequence = 2, Profile = "bench", Payload = "{}", PayloadHash = "",
            State = TurnState.Running, Attempts = 1, Fencing = 1, EnqueuedAt = enqueued,
        };
        var result = new TurnResult
        {
            TurnId = stored.Id, Profile = "bench", Family = "acp-json-rpc", Status = TurnStatus.Succeeded, Process = "warm",
            Session = "live", Turn = "continued", Timing = Timing(enqueued),
        };
        GC.Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < turns; i++)
        {
            using var trace = TurnTrace.Start(stored);
            metrics.RecordTurn(trace.Complete(result));
        }

        var wallElapsed = wall.Elapsed;
        var allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        provider?.ForceFlush();
        var cpuElapsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new Round(wallElapsed.TotalMicroseconds / turns, cpuElapsed.TotalMicroseconds / turns, (double)allocatedBytes / turns, 0);
    }

    /// <summary>A continued turn's timing with every segment: a span for each.</summary>
    private static TurnTiming Timing(DateTimeOffset enqueued)
    {
        const long Frequency = 1_000_000;
        return TurnTiming.From(new TurnMarkers(enqueued, enqueued.AddMilliseconds(3), 1_000, 1_500, 1_500, 1_500, 5_000, 6_000, 250_000,
            900_000), Frequency);
    }

    private static void Print(string mode, List<Round> rounds) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {mode} | {Median(rounds, r => r.WallMicroseconds):0.0} | {Median(rounds, r => r.CpuMicroseconds):0.0} | "
        + $"{Median(rounds, r => r.AllocatedBytes):0} | {Median(rounds, r => r.ExportedBytes):0} |"));

    private static double Median(List<Round> rounds, Func<Round, double> value)
    {
        var sorted = rounds.Select(value).Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private sealed record Round(double WallMicroseconds, double CpuMicroseconds, double AllocatedBytes, double ExportedBytes);
}
