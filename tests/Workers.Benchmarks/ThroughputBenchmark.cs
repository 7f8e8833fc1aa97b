using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Workers.Processes;

namespace Workers.Benchmarks;

/// <summary>Issue 15's throughput and memory targets through one <c>workers serve</c> child with a zero-latency agent:
/// 16 HTTP producers driving 200 conversations (each conversation one turn at a time: POST, then its SSE stream to the
/// end) against 16 agent processes, a warm-up and then a steady window; then the enqueue rate alone (16 producers
/// POSTing as fast as they can). Reports the service's RSS (its own, children excluded), the agents' RSS, and the load
/// generator's own CPU.</summary>
internal static class ThroughputBenchmark
{
    private const int Producers = 16;
    private const int AgentProcesses = 16;

    /// <summary>Turns per agent before it is recycled: 1000 rather than the default 100, so that agent start-ups (~0.1 s of CPU
    /// each, 2 a second at 200 turns/s with 100) are not most of what the agents cost; the service's own cost of a recycle is
    /// still in its figures. Printed in the run's header.</summary>
    private const int AgentTurnsBeforeRecycle = 1000;

    public static async Task RunAsync(int conversations, TimeSpan warmUp, TimeSpan steady, int enqueuesPerProducer)
    {
        Console.WriteLine();
        Console.WriteLine("## Throughput, enqueue rate and memory (zero-latency simulated ACP agent)");
        Console.WriteLine();
        Console.WriteLine($"`workers serve` as a child process, profile `{ZeroLatencyAgent.Profile}` (every SIM_* delay 0, 2 tokens), MaxProcesses " +
            $"{AgentProcesses}, MinReady {AgentProcesses}, MaxTurnsPerProcess {AgentTurnsBeforeRecycle}. {Producers} producers (one HttpClient each) drive {conversations} conversations, each " +
            $"conversation one turn at a time (POST, then its SSE stream to the terminal event), so up to {conversations} turns are queued " +
            $"or running. Warm-up {warmUp.TotalSeconds:0} s, then a steady window of {steady.TotalSeconds:0} s: turns/s = turns that ended " +
            "inside the window ÷ its length. Enqueue alone: each producer POSTs new turns (a new conversation each) back to back.");
        Console.WriteLine($"- started: {MachineLoad.Now()}");
        await using var service = await ServiceProcess.StartAsync(
            ZeroLatencyAgent.ServiceSettings(minReady: AgentProcesses, maxProcesses: AgentProcesses, maxQueuedTurns: 100_000,
                maxTurnsPerProcess: AgentTurnsBeforeRecycle));
        await service.WaitForReadyAgentsAsync(ZeroLatencyAgent.Profile, AgentProcesses);
        // A pause, not a wait on state: the "at rest" memory figure is read a moment after the last start, not during its
        // allocations. It is a measurement's choice, in a benchmark.
        await Task.Delay(1000);
        var atRest = service.Memory();
        var agentsAtRest = AgentRss(await service.AgentProcessIdsAsync(ZeroLatencyAgent.Profile));

        var window = await RunConversationsAsync(service, conversations, warmUp, steady);
        var afterLoad = service.Memory();
        var agentsUnderLoad = window.AgentRssMiB;

        var enqueue = await EnqueueAsync(service, enqueuesPerProducer);
        var ingestion = await EnqueueBehindABlockerAsync(service, enqueuesPerProducer);
        var afterEnqueue = service.Memory();
        Console.WriteLine($"- ended: {MachineLoad.Now()}");

        Console.WriteLine();
        Console.WriteLine("| figure | value | target |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(Invariant($"| turns/s completed, steady {steady.TotalSeconds:0} s ({window.Completed} turns) | {window.Completed / steady.TotalSeconds:0} | ≥ 500 |"));
        Console.WriteLine(Invariant($"| turns that did not succeed (whole run, warm-up included) | {window.Failures.Count} of {window.Ended} | 0 |"));
        Console.WriteLine(Invariant($"| producer-observed first text under load, p50 / p90 / p99 (ms) | {window.FirstText.Cell()} | — |"));
        Console.WriteLine(Invariant($"| CPU in the window, cores (CPU s ÷ wall s): load generator | {window.LoadGeneratorCores:0.00} | — |"));
        Console.WriteLine(Invariant($"| CPU in the window, cores: service (its own, children excluded) | {window.ServiceCores:0.00} | — |"));
        Console.WriteLine(Invariant($"| CPU in the window, cores: agents (the service's children) | {window.AgentCores:0.00} | — |"));
        Console.WriteLine(Invariant($"| CPU in the window, cores: whole machine busy (others' work included) | {window.MachineBusyCores:0.00} of {window.MachineCores:0.00} | — |"));
        Console.WriteLine(Invariant($"| CPU per completed turn in the window: service / agents | {window.ServiceCores * 1000 / (window.Completed / steady.TotalSeconds):0.0} / {window.AgentCores * 1000 / (window.Completed / steady.TotalSeconds):0.0} ms | — |"));
        Console.WriteLine(Invariant($"| enqueue alone, {Producers} producers × {enqueuesPerProducer} POSTs, the turns run as they come | {enqueue.PerSecond:0} turns/s ({enqueue.Refused} refused) | ≥ 2000 |"));
        Console.WriteLine(Invariant($"| enqueue alone, {Producers} producers × {enqueuesPerProducer} POSTs, each producer's turns queued behind its conversation's running turn (ingestion only) | {ingestion.PerSecond:0} turns/s ({ingestion.Refused} refused) | ≥ 2000 |"));
        Console.WriteLine(Invariant($"| service RSS at rest (pool warm, no turns) | {atRest.RssMiB:0} MiB | — |"));
        Console.WriteLine(Invariant($"| service RSS peak (VmHWM) after the throughput run | {afterLoad.PeakRssMiB:0} MiB | ≤ 150 MiB |"));
        Console.WriteLine(Invariant($"| service RSS peak (VmHWM) after the enqueue burst too | {afterEnqueue.PeakRssMiB:0} MiB | — |"));
        Console.WriteLine(Invariant($"| service RSS right after the throughput run: anonymous / file / shared (JIT code) | {afterLoad.AnonMiB:0} / {afterLoad.FileMiB:0} / {afterLoad.ShmemMiB:0} MiB | — |"));
        Console.WriteLine(Invariant($"| agent RSS per process, at rest, mean / max (n={agentsAtRest.Count}) | {agentsAtRest.Average():0.0} / {agentsAtRest.Max():0.0} MiB | — |"));
        Console.WriteLine(Invariant($"| agent RSS per process, end of the window, mean / max (n={agentsUnderLoad.Count}) | {Mean(agentsUnderLoad)} / {Max(agentsUnderLoad)} MiB | — |"));
        foreach (var failure in window.Failures.GroupBy(f => f).Take(5))
        {
            Console.WriteLine($"- {failure.Count()} × {failure.Key}");
        }
    }

    private sealed record Window(int Completed, int Ended, List<string> Failures, LatencyRow FirstText, double LoadGeneratorCores,
        double ServiceCores, double AgentCores, double MachineBusyCores, double MachineCores, List<double> AgentRssMiB);

    private static async Task<Window> RunConversationsAsync(ServiceProcess service, int conversations, TimeSpan warmUp, TimeSpan steady)
    {
        var failures = new List<string>();
        var firstTexts = new List<(double Ms, string Id)>();
        var clock = Stopwatch.StartNew();
        var windowStart = warmUp;
        var windowEnd = warmUp + steady;
        var completedInWindow = 0;
        var ended = 0;
        using var stop = new CancellationTokenSource();
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            using var http = service.NewClient();
            var producer = new HttpProducer(http, ZeroLatencyAgent.Profile);
            var mine = Enumerable.Range(0, conversations).Where(c => c % Producers == p).Select(c => Task.Run(async () =>
            {
                var conversation = $"bench-throughput-{c}-{Guid.NewGuid():N}";
                for (var turn = 0; !stop.IsCancellationRequested; turn++)
                {
                    HttpProducer.Turn result;
                    try
                    {
                        result = await producer.RunAsync(conversation, ChatWorkload.Prompt(turn), CancellationToken.None);
                    }
                    catch (HttpRequestException ex)
                    {
                        result = new HttpProducer.Turn(null, ex.Message);
                    }

                    var at = clock.Elapsed;
                    lock (failures)
                    {
                        ended++;
                        if (!result.Succeeded)
                        {
                            failures.Add(result.Terminal);
                        }
                        else if (at >= windowStart && at < windowEnd)
                        {
                            completedInWindow++;
                            if (result.FirstTextMs is { } ms)
                            {
                                firstTexts.Add((ms, result.Id!));
                            }
                        }
                    }
                }
            }));
            await Task.WhenAll(mine);
        })).ToList();

        await Task.Delay(windowStart);
        var (selfAtStart, serviceAtStart, wallAtStart) = (CpuTimes.Of(Environment.ProcessId), CpuTimes.Of(service.ProcessId), clock.Elapsed);
        var poolAtStart = await service.PoolAsync(ZeroLatencyAgent.Profile);
        await Task.Delay(steady);
        var (self, serviceCpu) = (CpuTimes.Of(Environment.ProcessId).Minus(selfAtStart), CpuTimes.Of(service.ProcessId).Minus(serviceAtStart));
        var wall = (clock.Elapsed - wallAtStart).TotalSeconds;
        var poolAtEnd = await service.PoolAsync(ZeroLatencyAgent.Profile);
        // Agents started in the window replace retired ones (Pool:MaxTurnsPerProcess, 100 by default): their start-up is
        // part of the agents' CPU.
        Console.WriteLine(Invariant($"- agent processes started in the window: {poolAtEnd.GetProperty("spawned").GetInt32() - poolAtStart.GetProperty("spawned").GetInt32()}; ") +
            $"retired by reason since the service started: {poolAtEnd.GetProperty("retiredByReason")}");
        var agents = AgentRss(await service.AgentProcessIdsAsync(ZeroLatencyAgent.Profile));
        stop.Cancel();
        await Task.WhenAll(producers);
        await PrintSlowestAsync(service, firstTexts);
        return new Window(completedInWindow, ended, failures, new LatencyRow(firstTexts.Select(t => t.Ms).ToList()), self.OwnSeconds / wall, serviceCpu.OwnSeconds / wall,
            serviceCpu.ChildrenSeconds / wall, serviceCpu.MachineBusySeconds / wall, serviceCpu.MachineTotalSeconds / wall, agents);
    }

    /// <summary>Where the slowest turns of the window waited, from their records: queued (enqueued → claimed), lease wait,
    /// and the turn's own wait for the agent's first token.</summary>
    private static async Task PrintSlowestAsync(ServiceProcess service, List<(double Ms, string Id)> firstTexts)
    {
        Console.WriteLine(Invariant($"- turns of the window whose first text took over 1 s: {firstTexts.Count(t => t.Ms > 1000)} of {firstTexts.Count}; the slowest:"));
        using var http = service.NewClient();
        foreach (var (ms, id) in firstTexts.OrderByDescending(t => t.Ms).Take(5))
        {
            var turn = await http.GetFromJsonAsync<JsonElement>($"/v1/turns/{id}");
            var timing = turn.GetProperty("timing");
            string Seconds(string segment) => timing.TryGetProperty(segment, out var value) ? Invariant($"{value.GetDouble() * 1000:0}") : "—";
            Console.WriteLine(Invariant($"  - {ms:0} ms: queue_wait {Seconds("queue_wait")} ms, lease_wait {Seconds("lease_wait")} ms, ") +
                Invariant($"spawn_to_first_token {Seconds("spawn_to_first_token")} ms, rung {turn.GetProperty("process").GetString()}/") +
                Invariant($"{turn.GetProperty("session").GetString()}, turn {turn.GetProperty("sequence").GetInt32()} of its conversation"));
        }
    }

    /// <summary>Each producer POSTs new turns (a new conversation each) back to back; the 16 agents run them as they come.
    /// Returns once the turns enqueued last have ended, so that what follows starts on an idle service.</summary>
    private static async Task<(double PerSecond, int Refused)> EnqueueAsync(ServiceProcess service, int perProducer)
    {
        var burst = await PostBackToBackAsync(service, perProducer, (p, i) => $"bench-enqueue-{p}-{i}", ChatWorkload.Prompt(0));
        await WaitUntilEndedAsync(service, burst.LastIds);
        return (burst.PerSecond, burst.Refused);
    }

    /// <summary>Waits (up to two minutes) until every turn of <paramref name="turnIds"/> has ended: reads each one's event
    /// stream to its terminal event.</summary>
    private static async Task WaitUntilEndedAsync(ServiceProcess service, List<string> turnIds)
    {
        using var http = service.NewClient();
        var producer = new HttpProducer(http, ZeroLatencyAgent.Profile);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        foreach (var id in turnIds)
        {
            try
            {
                await producer.WaitForEndAsync(id, deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"turn {id} did not end within two minutes of the enqueue burst");
            }
        }
    }

    /// <summary>The enqueue rate with nothing else to do: each producer first starts a turn that waits a minute for its first
    /// token (a <c>[[sim:first-token-ms=…]]</c> directive) in its own conversation, then POSTs its turns into that conversation,
    /// where they stay queued behind it (one running turn per conversation). So the service only stores them, while in
    /// <see cref="EnqueueAsync"/> it also runs them on the 16 agents as they arrive.</summary>
    private static async Task<(double PerSecond, int Refused)> EnqueueBehindABlockerAsync(ServiceProcess service, int perProducer)
    {
        var conversations = Enumerable.Range(0, Producers).Select(p => $"bench-ingest-{p}-{Guid.NewGuid():N}").ToList();
        using (var http = service.NewClient())
        {
            var producer = new HttpProducer(http, ZeroLatencyAgent.Profile);
            foreach (var conversation in conversations)
            {
                await producer.EnqueueAsync(conversation, "[[sim:first-token-ms=60000]] hold the conversation", CancellationToken.None);
            }
        }

        var burst = await PostBackToBackAsync(service, perProducer, (p, _) => conversations[p], null);
        return (burst.PerSecond, burst.Refused);
    }

    /// <summary>The <see cref="Producers"/> producers (one client each) POST <paramref name="perProducer"/> turns each, back to
    /// back, into the conversation <paramref name="conversationOf"/> names for producer and turn (the prompt of turn i when
    /// <paramref name="prompt"/> is null): turns per second over the burst, the POSTs refused, and each producer's last turn.</summary>
    private static async Task<(double PerSecond, int Refused, List<string> LastIds)> PostBackToBackAsync(ServiceProcess service,
        int perProducer, Func<int, int, string> conversationOf, string? prompt)
    {
        var refused = 0;
        var lastIds = new string?[Producers];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            using var http = service.NewClient();
            var producer = new HttpProducer(http, ZeroLatencyAgent.Profile);
            for (var i = 0; i < perProducer; i++)
            {
                try
                {
                    lastIds[p] = await producer.EnqueueAsync(conversationOf(p, i), prompt ?? ChatWorkload.Prompt(i), CancellationToken.None);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        })));
        return (Producers * perProducer / clock.Elapsed.TotalSeconds, refused, lastIds.OfType<string>().ToList());
    }

    private static List<double> AgentRss(IEnumerable<int> processIds) =>
        processIds.Select(pid => ProcessMemory.ResidentBytesOfTree(pid) / (1024.0 * 1024.0)).Where(mib => mib > 0).ToList();

    private static string Mean(List<double> values) => values.Count == 0 ? "—" : Invariant($"{values.Average():0.0}");

    private static string Max(List<double> values) => values.Count == 0 ? "—" : Invariant($"{values.Max():0.0}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
