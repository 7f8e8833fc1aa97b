using System.Net.Http.Json;
using System.Text.Json;

namespace Workers.Benchmarks;

/// <summary>Issue 15's service-overhead target through the real product path: <c>workers serve</c> as a child, a
/// producer POSTing turns and reading their SSE streams, a zero-latency agent with an idle ready process. Overhead =
/// producer-observed first text − the floor, the same agent driven directly.</summary>
internal static class ServiceOverheadBenchmark
{
    private const int WarmUpTurns = 50;

    /// <summary>The floor and the service path, one after the other. <c>recycleAfter</c> is the agent's
    /// <c>Pool:MaxTurnsPerProcess</c> (the product's default is 100): with fewer than the run's turns, the turns right after
    /// each recycle resume their session on a fresh process while the pool starts the next one beside them, which is the tail
    /// of the continued turns.</summary>
    public static async Task RunAsync(int continuedTurns, int firstTurns, int recycleAfter)
    {
        Console.WriteLine();
        Console.WriteLine("## Service overhead through HTTP (zero-latency simulated ACP agent)");
        Console.WriteLine();
        Console.WriteLine($"`workers serve` as a child process, profile `{ZeroLatencyAgent.Profile}` (acp-json-rpc, every SIM_* delay 0, 2 tokens), " +
            $"MaxProcesses 16, MinReady 1, MaxTurnsPerProcess {recycleAfter}. One producer: POST /v1/turns, then GET its events (SSE) to the terminal event; measured from the " +
            "202 in hand to the first `text_delta` read. Continued: sequential turns of one conversation (its live process). First: a new " +
            "conversation per turn, each sent once the pool shows an idle ready process. Floor: the same agent started directly, its " +
            $"session open, prompt written → first `agent_message_chunk` (first: a fresh process per prompt). {WarmUpTurns} warm-up turns " +
            $"(first turns: {WarmUpTurns / 5}) of the service are not counted. Each first turn's conversation is deleted after it " +
            "(DELETE /v1/conversations/{id}), off the clock, so its process does not stay bound. ms.");
        Console.WriteLine($"- started: {MachineLoad.Now()}");
        var (floorContinued, floorFirst) = await RunFloorAsync(continuedTurns, firstTurns);
        var (serviceContinued, serviceFirst, failures) = await RunServiceAsync(continuedTurns, firstTurns, recycleAfter);
        Console.WriteLine($"- ended: {MachineLoad.Now()}");
        Console.WriteLine();
        Console.WriteLine("| path | turn | n | first text p50 / p90 / p99 | overhead (− floor) p50 / p90 / p99 |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| floor (agent driven directly) | continued | {floorContinued.Count} | {floorContinued.Cell()} | — |");
        Console.WriteLine($"| floor (agent driven directly) | first | {floorFirst.Count} | {floorFirst.Cell()} | — |");
        foreach (var (turn, path, floor) in new[] { ("continued", serviceContinued, floorContinued), ("first", serviceFirst, floorFirst) })
        {
            Console.WriteLine($"| producer over HTTP | {turn} | {path.ProducerObserved.Count} | {path.ProducerObserved.Cell()} | " +
                $"{path.ProducerObserved.OverCell(floor)} |");
            Console.WriteLine($"| of which, by the turn record: queue_wait (enqueued → claimed) | {turn} | {path.QueueWait.Count} | " +
                $"{path.QueueWait.Cell()} | — |");
            Console.WriteLine($"| of which, by the turn record: spawn_to_first_token (lease → first token) | {turn} | " +
                $"{path.SpawnToFirstToken.Count} | {path.SpawnToFirstToken.Cell()} | — |");
        }
        Console.WriteLine();
        Console.WriteLine($"- turns that did not succeed: {failures.Count}" + (failures.Count > 0 ? $" (first: {failures[0]})" : ""));
        Console.WriteLine("- targets: overhead p50 ≤ 2 ms, p99 ≤ 10 ms");
    }

    private static async Task<(LatencyRow Continued, LatencyRow First)> RunFloorAsync(int continuedTurns, int firstTurns)
    {
        var data = Directory.CreateTempSubdirectory("workers-bench-floor-").FullName;
        var agent = Path.Combine(AppContext.BaseDirectory, "Workers.SimAgent");
        var environment = new Dictionary<string, string>(ZeroLatencyAgent.Environment()) { ["SIM_SESSION_DIR"] = Path.Combine(data, "sessions") };
        try
        {
            var continued = new List<double>();
            await using (var direct = DirectAgent.Start("acp-json-rpc", agent, environment, data))
            {
                await direct.OpenSessionAsync(CancellationToken.None);
                for (var i = 0; i < WarmUpTurns + continuedTurns; i++)
                {
                    var ms = await direct.PromptAsync(ChatWorkload.Prompt(i), CancellationToken.None);
                    if (i >= WarmUpTurns)
                    {
                        continued.Add(ms);
                    }
                }
            }

            var first = new List<double>();
            for (var i = 0; i < firstTurns; i++)
            {
                await using var direct = DirectAgent.Start("acp-json-rpc", agent, environment, data);
                await direct.OpenSessionAsync(CancellationToken.None);
                first.Add(await direct.PromptAsync(ChatWorkload.Prompt(0), CancellationToken.None));
            }

            return (new LatencyRow(continued), new LatencyRow(first));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(ServicePath Continued, ServicePath First, List<string> Failures)> RunServiceAsync(int continuedTurns, int firstTurns,
        int recycleAfter)
    {
        await using var service = await ServiceProcess.StartAsync(
            ZeroLatencyAgent.ServiceSettings(minReady: 1, maxProcesses: 16, maxTurnsPerProcess: recycleAfter));
        await service.WaitForReadyAgentsAsync(ZeroLatencyAgent.Profile, 1);
        using var http = service.NewClient();
        var producer = new HttpProducer(http, ZeroLatencyAgent.Profile);
        var failures = new List<string>();

        async Task<HttpProducer.Turn> TurnAsync(string conversation, int turn)
        {
            var result = await producer.RunAsync(conversation, ChatWorkload.Prompt(turn), CancellationToken.None);
            if (!result.Succeeded)
            {
                failures.Add(result.Terminal);
            }

            return result;
        }

        var conversation = $"bench-sequential-{Guid.NewGuid():N}";
        var continued = new List<HttpProducer.Turn>();
        for (var i = 0; i < 1 + WarmUpTurns + continuedTurns; i++)
        {
            if (await TurnAsync(conversation, i) is { FirstTextMs: not null } turn && i > WarmUpTurns)
            {
                continued.Add(turn);
            }
        }

        var first = new List<HttpProducer.Turn>();
        for (var i = 0; i < WarmUpTurns / 5 + firstTurns; i++)
        {
            await service.WaitForReadyAgentsAsync(ZeroLatencyAgent.Profile, 1);
            var firstConversation = $"bench-first-{Guid.NewGuid():N}";
            if (await TurnAsync(firstConversation, 0) is { FirstTextMs: not null } turn && i >= WarmUpTurns / 5)
            {
                first.Add(turn);
            }

            // Frees the process the turn left bound, as a chat product does when a conversation ends; otherwise bound
            // processes fill the 16 and the pool refills only when a turn asks (an LRU release), not while idle.
            (await http.DeleteAsync($"/v1/conversations/{firstConversation}")).EnsureSuccessStatusCode();
        }

        return (await ServicePath.OfAsync(http, continued), await ServicePath.OfAsync(http, first), failures);
    }

    /// <summary>What the producer saw, and from the turns' records where the service says the time went: queued
    /// (enqueued → claimed) and the turn's own wait for the agent (lease → first token); of the latter, for a live session,
    /// <c>model_first_token</c> (prompt written → first token, the agent's own wait as the service saw it) and
    /// <c>remainder</c> (lease → prompt written).</summary>
    public sealed record ServicePath(LatencyRow ProducerObserved, LatencyRow QueueWait, LatencyRow SpawnToFirstToken, LatencyRow ModelFirstToken,
        LatencyRow Remainder)
    {
        public static async Task<ServicePath> OfAsync(HttpClient http, List<HttpProducer.Turn> turns)
        {
            var segments = new[] { "queue_wait", "spawn_to_first_token", "model_first_token", "remainder" }.ToDictionary(s => s, _ => new List<double>());
            foreach (var turn in turns)
            {
                var timing = (await http.GetFromJsonAsync<JsonElement>($"/v1/turns/{turn.Id}")).GetProperty("timing");
                foreach (var (segment, values) in segments)
                {
                    if (timing.TryGetProperty(segment, out var seconds) && seconds.ValueKind == JsonValueKind.Number)
                    {
                        values.Add(seconds.GetDouble() * 1000);
                    }
                }
            }

            return new ServicePath(new LatencyRow(turns.Select(t => t.FirstTextMs!.Value).ToList()), new LatencyRow(segments["queue_wait"]),
                new LatencyRow(segments["spawn_to_first_token"]), new LatencyRow(segments["model_first_token"]), new LatencyRow(segments["remainder"]));
        }
    }
}
