namespace Workers.Benchmarks;

/// <summary>Issue 15's service-overhead target through the real product path: <c>workers serve</c> as a child, a
/// producer POSTing turns and reading their SSE streams, a zero-latency agent with an idle ready process. Overhead =
/// producer-observed first text − the floor, the same agent driven directly.</summary>
internal static class ServiceOverheadBenchmark
{
    private const int WarmUpTurns = 50;

    public sealed record Figures(LatencyRow ServiceContinued, LatencyRow ServiceFirst, LatencyRow FloorContinued, LatencyRow FloorFirst);

    public static async Task<Figures> RunAsync(int continuedTurns, int firstTurns)
    {
        Console.WriteLine();
        Console.WriteLine("## Service overhead through HTTP (zero-latency simulated ACP agent)");
        Console.WriteLine();
        Console.WriteLine($"`workers serve` as a child process, profile `{ZeroLatencyAgent.Profile}` (acp-json-rpc, every SIM_* delay 0, 2 tokens), " +
            "MaxProcesses 16, MinReady 1. One producer: POST /v1/turns, then GET its events (SSE) to the terminal event; measured from the " +
            "202 in hand to the first `text_delta` read. Continued: sequential turns of one conversation (its live process). First: a new " +
            "conversation per turn, each sent once the pool shows an idle ready process. Floor: the same agent started directly, its " +
            $"session open, prompt written → first `agent_message_chunk` (first: a fresh process per prompt). {WarmUpTurns} warm-up turns " +
            $"(first turns: {WarmUpTurns / 5}) of the service are not counted. Each first turn's conversation is deleted after it " +
            "(DELETE /v1/conversations/{id}), off the clock, so its process does not stay bound. ms.");
        Console.WriteLine($"- started: {MachineLoad.Now()}");
        var (floorContinued, floorFirst) = await RunFloorAsync(continuedTurns, firstTurns);
        var (serviceContinued, serviceFirst, failures) = await RunServiceAsync(continuedTurns, firstTurns);
        Console.WriteLine($"- ended: {MachineLoad.Now()}");
        Console.WriteLine();
        Console.WriteLine("| path | turn | n | first text p50 / p90 / p99 | overhead (− floor) p50 / p90 / p99 |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| floor (agent driven directly) | continued | {floorContinued.Count} | {floorContinued.Cell()} | — |");
        Console.WriteLine($"| floor (agent driven directly) | first | {floorFirst.Count} | {floorFirst.Cell()} | — |");
        Console.WriteLine($"| producer over HTTP | continued | {serviceContinued.Count} | {serviceContinued.Cell()} | {serviceContinued.OverCell(floorContinued)} |");
        Console.WriteLine($"| producer over HTTP | first | {serviceFirst.Count} | {serviceFirst.Cell()} | {serviceFirst.OverCell(floorFirst)} |");
        Console.WriteLine();
        Console.WriteLine($"- turns that did not succeed: {failures.Count}" + (failures.Count > 0 ? $" (first: {failures[0]})" : ""));
        Console.WriteLine("- targets: overhead p50 ≤ 2 ms, p99 ≤ 10 ms");
        return new Figures(serviceContinued, serviceFirst, floorContinued, floorFirst);
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

    private static async Task<(LatencyRow Continued, LatencyRow First, List<string> Failures)> RunServiceAsync(int continuedTurns, int firstTurns)
    {
        await using var service = await ServiceProcess.StartAsync(ZeroLatencyAgent.ServiceSettings(minReady: 1, maxProcesses: 16));
        await service.WaitForReadyAgentsAsync(ZeroLatencyAgent.Profile, 1);
        using var http = service.NewClient();
        var producer = new HttpProducer(http, ZeroLatencyAgent.Profile);
        var failures = new List<string>();

        async Task<double?> TurnAsync(string conversation, int turn)
        {
            var result = await producer.RunAsync(conversation, ChatWorkload.Prompt(turn), CancellationToken.None);
            if (!result.Succeeded)
            {
                failures.Add(result.Terminal);
            }

            return result.FirstTextMs;
        }

        var conversation = $"bench-sequential-{Guid.NewGuid():N}";
        var continued = new List<double>();
        for (var i = 0; i < 1 + WarmUpTurns + continuedTurns; i++)
        {
            if (await TurnAsync(conversation, i) is { } ms && i > WarmUpTurns)
            {
                continued.Add(ms);
            }
        }

        var first = new List<double>();
        for (var i = 0; i < WarmUpTurns / 5 + firstTurns; i++)
        {
            await service.WaitForReadyAgentsAsync(ZeroLatencyAgent.Profile, 1);
            var firstConversation = $"bench-first-{Guid.NewGuid():N}";
            if (await TurnAsync(firstConversation, 0) is { } ms && i >= WarmUpTurns / 5)
            {
                first.Add(ms);
            }

            // Frees the process the turn left bound, as a chat product does when a conversation ends; otherwise bound
            // processes fill the 16 and the pool refills only when a turn asks (an LRU release), not while idle.
            (await http.DeleteAsync($"/v1/conversations/{firstConversation}")).EnsureSuccessStatusCode();
        }

        return (new LatencyRow(continued), new LatencyRow(first), failures);
    }
}
