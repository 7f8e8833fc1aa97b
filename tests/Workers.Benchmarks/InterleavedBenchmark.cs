using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Workers.ModelStub;
using Workers.Profiles;
using Workers.Reports;

namespace Workers.Benchmarks;

/// <summary>Issue 15's "live turns at the floor on real CLIs": per real profile, Workers turns (a producer over HTTP against a
/// <c>workers serve</c> child, 202 in hand → first <c>text_delta</c> read on the SSE stream) and floor turns (the same CLI
/// started directly with its session open, prompt written → first text delta) interleaved in a random order per pair, both
/// continued turns of their own conversation; then the median difference (Workers − floor) with a bootstrap 95 % CI.
/// Conversations are bounded: every <see cref="Options.SessionTurns"/> continued turns both arms start a new one (a new
/// conversation on the service, a new process and session for the floor), so the history each request carries stays short.</summary>
internal static class InterleavedBenchmark
{
    /// <param name="PerArm">Continued turns counted per arm.</param>
    /// <param name="SessionTurns">Continued turns per conversation, in each arm, before both start a new one.</param>
    /// <param name="FirstTokenMs">The model stub's wait before its first token.</param>
    /// <param name="Tokens">Tokens in the stub's answer, 5 ms apart.</param>
    /// <param name="GapMs">Pause after every turn, so that one arm's after-turn work (the service storing the turn's end, the
    /// CLI writing its transcript) does not run into the other arm's turn.</param>
    /// <param name="Seed">Seeds the order within each pair and the bootstrap.</param>
    /// <param name="Resamples">Bootstrap resamples.</param>
    /// <param name="Isolation">The service's isolation for the profile; the floor runs the CLI unsandboxed either way.</param>
    public sealed record Options(int PerArm, int SessionTurns, int FirstTokenMs, int Tokens, int GapMs, int Seed, int Resamples,
        IsolationMode Isolation);

    private sealed record Block(string Conversation, DirectAgent Floor);

    /// <summary>Everything one profile's run measured. Continued turns carry their position in their conversation (1-based).</summary>
    private sealed class Measured
    {
        public List<(double Ms, int Position, int Pair, string Prompt)> Floor { get; } = [];

        public List<(HttpProducer.Turn Turn, int Position, int Pair, string Prompt)> Workers { get; } = [];

        /// <summary>Per prompt, on the wall clock the stub stamps its requests with: when the arm's clock started (the prompt
        /// written; the 202 in hand) and when it read the first text.</summary>
        public Dictionary<string, (DateTimeOffset Start, DateTimeOffset FirstText)> Timeline { get; } = [];

        public List<double> FloorFirst { get; } = [];

        public List<double> WorkersFirst { get; } = [];

        public List<string> Failures { get; } = [];

        public int Pairs { get; set; }

        public int Conversations { get; set; }

        public int WorkersFirstInPair { get; set; }
    }

    public static async Task RunAsync(IReadOnlyList<string> profiles, Options options)
    {
        Console.WriteLine($"# Live turns at the floor, interleaved ({TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC, commit " +
            $"{SideBySideBenchmark.Commit()}, {Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine($"Model stub on 127.0.0.1: first token after {options.FirstTokenMs} ms, {options.Tokens} tokens 5 ms apart. Per profile: " +
            $"`workers serve` as a child (isolation {options.Isolation}, MinReady 1, MaxProcesses 2, no recycling, adaptive prewarm off) " +
            "and the same CLI started directly (the floor: its profile's arguments and environment, session open, no Workers code). " +
            $"Pairs of continued turns, one per arm, in a random order per pair (seed {options.Seed}), {options.GapMs} ms after every " +
            $"turn; every {options.SessionTurns} continued turns both arms start a new conversation (service: a new conversation id, " +
            "the old one deleted; floor: a new process and session), whose first turn is not counted, and wait for the pool to be " +
            "refilled and idle before the next turn. Workers: POST /v1/turns, 202 in hand → first `text_delta` read on the SSE " +
            "stream. Floor: prompt written → first non-empty text delta. ms.");
        await using var stub = await ModelStubServer.StartAsync(new StubOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(options.FirstTokenMs),
            Tokens = options.Tokens,
            TokenInterval = TimeSpan.FromMilliseconds(5),
        });
        foreach (var name in profiles)
        {
            stub.ClearRequests();
            await RunProfileAsync(name.Trim(), stub, options);
        }
    }

    private static async Task RunProfileAsync(string name, ModelStubServer stub, Options options)
    {
        var data = Directory.CreateTempSubdirectory("workers-bench-interleaved-").FullName;
        try
        {
            var profile = RealCliSetup.Load(name);
            // Both arms get a HOME of their own with the stub's files in it (Claude keeps ~/.claude.json and its transcripts there).
            var floorHome = Path.Combine(data, "floor-home");
            var serviceHome = Path.Combine(data, "service-home");
            RealCliSetup.PointAtStub(name, profile, stub.Url, floorHome);
            RealCliSetup.PointAtStub(name, profile, stub.Url, serviceHome);
            profile.Isolation = IsolationMode.Profile;
            profile.Env["HOME"] = floorHome;
            var floorProfile = new ProfileCatalog(new WorkersOptions { DataDirectory = Path.Combine(data, "floor"), Profiles = { [name] = profile } })
                .Get(name);
            Console.WriteLine();
            if (!floorProfile.IsAvailable)
            {
                Console.WriteLine($"## {name}: not installed ({floorProfile.UnavailableReason}); run .ci/prepare.sh");
                return;
            }

            profile.Env["HOME"] = serviceHome;
            await using var service = await ServiceProcess.StartAsync(ServiceSettings(name, profile, options.Isolation));
            await service.WaitForReadyAgentsAsync(name, 1);
            var version = (await service.PoolAsync(name)).TryGetProperty("cliVersion", out var cli) && cli.ValueKind == JsonValueKind.String
                ? cli.GetString()
                : RealCliSetup.Version(floorProfile.FileName!);
            Console.WriteLine($"## {name} ({profile.Family}, {profile.Command} {version})");
            Console.WriteLine();
            Console.WriteLine($"- started: {MachineLoad.Now()}");
            using var http = service.NewClient();
            var (cpuAtStart, wallAtStart) = (CpuTimes.Of(service.ProcessId), System.Diagnostics.Stopwatch.GetTimestamp());
            var measured = await MeasureAsync(name, floorProfile, service, http, options);
            var (cpu, wall) = (CpuTimes.Of(service.ProcessId).Minus(cpuAtStart), System.Diagnostics.Stopwatch.GetElapsedTime(wallAtStart));
            var spawned = (await service.PoolAsync(name)).GetProperty("spawned").GetInt32();
            Console.WriteLine($"- ended: {MachineLoad.Now()}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- CPU over the {wall.TotalSeconds:0} s of turns: the service's own {cpu.OwnSeconds:0.0} s (≈ {cpu.OwnSeconds * 1000 / Math.Max(1, measured.Workers.Count + measured.WorkersFirst.Count):0.0} ms " +
                $"per Workers turn, idle time between turns included), its agents {cpu.ChildrenSeconds:0.0} s; the whole machine " +
                $"{cpu.MachineBusySeconds / cpu.MachineTotalSeconds * Environment.ProcessorCount:0.00} of {Environment.ProcessorCount} cores busy " +
                $"(everyone's work included)"));
            await ReportAsync(name, http, measured, spawned, stub, options);
        }
        finally
        {
            ScratchDirectory.DeleteQuietly(data);
        }
    }

    /// <summary>The shipped profile, enabled, with the benchmark's environment (the stub, the tools' PATH, its HOME), one ready
    /// process beside the conversation's, and nothing that would restart a process mid-conversation.</summary>
    private static Dictionary<string, string> ServiceSettings(string name, AgentProfile profile, IsolationMode isolation)
    {
        var prefix = $"Workers:Profiles:{name}";
        var settings = new Dictionary<string, string>
        {
            [$"{prefix}:Enabled"] = "true",
            [$"{prefix}:Isolation"] = isolation.ToString(),
            [$"{prefix}:Pool:MinReady"] = "1",
            [$"{prefix}:Pool:MaxReady"] = "1",
            [$"{prefix}:Pool:MaxProcesses"] = "2",
            [$"{prefix}:Pool:MaxTurnsPerProcess"] = "1000000",
            [$"{prefix}:Pool:MaxLifetime"] = "1.00:00:00",
            [$"{prefix}:Pool:StartTimeout"] = "00:01:00",
            [$"{prefix}:Pool:Adaptive:Enabled"] = "false",
            [$"{prefix}:Timeouts:Ready"] = "00:01:00",
            [$"{prefix}:Timeouts:FirstToken"] = "00:01:00",
            [$"{prefix}:Timeouts:Turn"] = "00:02:00",
            ["Workers:Maintenance:DrainDeadline"] = "00:00:02",
        };
        foreach (var (variable, value) in profile.Env)
        {
            settings[$"{prefix}:Env:{variable}"] = value;
        }

        foreach (var (path, i) in profile.Sandbox.ReadOnlyPaths.Distinct(StringComparer.Ordinal).Select((p, i) => (p, i)))
        {
            settings[$"{prefix}:Sandbox:ReadOnlyPaths:{i}"] = path;
        }

        return settings;
    }

    private static async Task<Measured> MeasureAsync(string name, ResolvedProfile floorProfile, ServiceProcess service,
        HttpClient http, Options options)
    {
        var producer = new HttpProducer(http, name);
        var order = new Random(options.Seed);
        var measured = new Measured();
        var prompt = 0;
        for (var blockIndex = 0; measured.Workers.Count < options.PerArm || measured.Floor.Count < options.PerArm; blockIndex++)
        {
            if (measured.Failures.Count > 20)
            {
                Console.WriteLine($"- stopped after {measured.Failures.Count} failures");
                break;
            }

            await service.WaitForReadyAgentsAsync(name, 1);
            var block = await StartBlockAsync(name, floorProfile, blockIndex, measured);
            if (block is null)
            {
                continue;
            }

            measured.Conversations++;
            await using (block.Floor)
            {
                // The conversation's first turn in each arm: not counted in the comparison (reported apart).
                var workersFirst = await WorkersTurnAsync(producer, block.Conversation, Prompt(prompt++, 'W'), measured, options.GapMs);
                if (workersFirst?.FirstTextMs is { } firstMs)
                {
                    measured.WorkersFirst.Add(firstMs);
                }

                if (await FloorTurnAsync(block.Floor, Prompt(prompt++, 'F'), measured, options.GapMs) is { } floorFirstMs)
                {
                    measured.FloorFirst.Add(floorFirstMs);
                }

                // The pool refills the ready process the conversation took; a new Claude finishes its session set-up after
                // answering `initialize`. Neither may run under a measured turn.
                await service.WaitForReadyAgentsAsync(name, 1);
                await Task.Delay(2000);
                for (var position = 1; position <= options.SessionTurns; position++)
                {
                    var runWorkers = measured.Workers.Count < options.PerArm;
                    var runFloor = measured.Floor.Count < options.PerArm;
                    if (!runWorkers && !runFloor)
                    {
                        break;
                    }

                    var workersFirstInPair = order.Next(2) == 0;
                    measured.Pairs++;
                    measured.WorkersFirstInPair += workersFirstInPair ? 1 : 0;
                    var pairPrompt = prompt++;
                    var ok = true;
                    foreach (var workersNow in workersFirstInPair ? new[] { true, false } : [false, true])
                    {
                        if (workersNow && runWorkers)
                        {
                            if (await WorkersTurnAsync(producer, block.Conversation, Prompt(pairPrompt, 'W'), measured, options.GapMs) is { FirstTextMs: not null } turn)
                            {
                                measured.Workers.Add((turn, position, measured.Pairs, Prompt(pairPrompt, 'W')));
                            }
                            else
                            {
                                ok = false;
                            }
                        }
                        else if (!workersNow && runFloor)
                        {
                            if (await FloorTurnAsync(block.Floor, Prompt(pairPrompt, 'F'), measured, options.GapMs) is { } ms)
                            {
                                measured.Floor.Add((ms, position, measured.Pairs, Prompt(pairPrompt, 'F')));
                            }
                            else
                            {
                                ok = false;
                            }
                        }
                    }

                    if (!ok)
                    {
                        // Start both arms afresh: a failed turn may have left its conversation or process in a state of its own.
                        break;
                    }
                }
            }

            (await http.DeleteAsync($"/v1/conversations/{block.Conversation}")).EnsureSuccessStatusCode();
        }

        return measured;
    }

    private static async Task<Block?> StartBlockAsync(string name, ResolvedProfile floorProfile, int blockIndex, Measured measured)
    {
        var floor = DirectAgent.StartLike(floorProfile);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await floor.OpenSessionAsync(timeout.Token);
            // Claude finishes its session set-up in the background after answering `initialize`, as a pooled process has had time to.
            await Task.Delay(2000);
            return new Block($"interleaved-{name}-{blockIndex}-{Guid.NewGuid():N}", floor);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or JsonException)
        {
            measured.Failures.Add($"floor: opening the session failed: {ex.Message}");
            await floor.DisposeAsync();
            return null;
        }
    }

    private static async Task<HttpProducer.Turn?> WorkersTurnAsync(HttpProducer producer, string conversation, string prompt, Measured measured, int gapMs)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var posted = TimeProvider.System.GetUtcNow();
            var turn = await producer.RunAsync(conversation, prompt, timeout.Token);
            if (turn is { PostMs: { } postMs, FirstTextMs: { } firstTextMs })
            {
                var accepted = posted.AddMilliseconds(postMs);
                measured.Timeline[prompt] = (accepted, accepted.AddMilliseconds(firstTextMs));
            }

            if (!turn.Succeeded || turn.FirstTextMs is null)
            {
                measured.Failures.Add($"workers: turn {turn.Id} {turn.Terminal}" + (turn.FirstTextMs is null ? " (no text_delta)" : ""));
                return null;
            }

            return turn;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            measured.Failures.Add($"workers: {ex.GetType().Name}: {ex.Message}");
            return null;
        }
        finally
        {
            await Task.Delay(gapMs);
        }
    }

    private static async Task<double?> FloorTurnAsync(DirectAgent floor, string prompt, Measured measured, int gapMs)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var written = TimeProvider.System.GetUtcNow();
            var ms = await floor.PromptAsync(prompt, timeout.Token);
            measured.Timeline[prompt] = (written, written.AddMilliseconds(ms));
            return ms;
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or JsonException or KeyNotFoundException)
        {
            measured.Failures.Add($"floor: {ex.GetType().Name}: {ex.Message}");
            return null;
        }
        finally
        {
            await Task.Delay(gapMs);
        }
    }

    /// <summary>Short prompts, so that the history a request carries grows slowly; each one different, and the arm's
    /// (<c>W</c> or <c>F</c>) in it, so that the stub's record of the model request tells which turn sent it.</summary>
    private static string Prompt(int index, char arm) => string.Create(CultureInfo.InvariantCulture, $"Say hi ({arm}{index}).");

    private static async Task ReportAsync(string name, HttpClient http, Measured measured, int spawned, ModelStubServer stub,
        Options options)
    {
        var workers = new LatencyRow(measured.Workers.Select(w => w.Turn.FirstTextMs!.Value).ToList());
        var floor = new LatencyRow(measured.Floor.Select(f => f.Ms).ToList());
        var path = await ServiceOverheadBenchmark.ServicePath.OfAsync(http, measured.Workers.Select(w => w.Turn).ToList());
        var rungs = new Dictionary<string, int>();
        foreach (var (turn, _, _, _) in measured.Workers)
        {
            var record = await http.GetFromJsonAsync<JsonElement>($"/v1/turns/{turn.Id}");
            var rung = $"{Field(record, "process")}/{Field(record, "session")}";
            rungs[rung] = rungs.GetValueOrDefault(rung) + 1;
        }

        Console.WriteLine();
        Console.WriteLine("| arm | turn | n | first text p50 / p90 / p99 | − floor p50 / p90 / p99 |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| floor (CLI driven directly) | continued | {floor.Count} | {floor.Cell()} | — |");
        Console.WriteLine($"| Workers (producer over HTTP) | continued | {workers.Count} | {workers.Cell()} | {workers.OverCell(floor)} |");
        Console.WriteLine($"| of which, by the turn record: queue_wait (enqueued → claimed) | continued | {path.QueueWait.Count} | " +
            $"{path.QueueWait.Cell()} | — |");
        Console.WriteLine($"| of which, by the turn record: spawn_to_first_token (lease → first token) | continued | " +
            $"{path.SpawnToFirstToken.Count} | {path.SpawnToFirstToken.Cell()} | — |");
        Console.WriteLine($"| of which: model_first_token (prompt written → first token, as the service read it) | continued | " +
            $"{path.ModelFirstToken.Count} | {path.ModelFirstToken.Cell()} | {path.ModelFirstToken.OverCell(floor)} |");
        Console.WriteLine($"| of which: remainder (lease → prompt written) | continued | {path.Remainder.Count} | {path.Remainder.Cell()} | — |");
        var post = new LatencyRow(measured.Workers.Select(w => w.Turn.PostMs ?? double.NaN).ToList());
        Console.WriteLine($"| Workers: the POST itself (sent → 202 read; not in the figure above) | continued | {post.Count} | {post.Cell()} | — |");
        // Split at the model request's arrival at the stub (same process, same clock): the CLI's work before it asks the model
        // (for Workers also 202 → claim → lease → prompt written), and from the request to the first text read (the stub's
        // delay, the CLI's handling of the stream, and for Workers the event's way to the producer).
        var arrivals = new Dictionary<string, DateTimeOffset>();
        foreach (var request in stub.ModelRequests)
        {
            if (PromptIn(request.LastUserText) is { } sent)
            {
                arrivals.TryAdd(sent, request.At);
            }
        }

        (LatencyRow Before, LatencyRow After) Split(IEnumerable<string> prompts)
        {
            var matched = prompts.Where(p => arrivals.ContainsKey(p) && measured.Timeline.ContainsKey(p)).ToList();
            return (new LatencyRow(matched.Select(p => (arrivals[p] - measured.Timeline[p].Start).TotalMilliseconds).ToList()),
                new LatencyRow(matched.Select(p => (measured.Timeline[p].FirstText - arrivals[p]).TotalMilliseconds).ToList()));
        }

        var (floorBefore, floorAfter) = Split(measured.Floor.Select(f => f.Prompt));
        var (workersBefore, workersAfter) = Split(measured.Workers.Select(w => w.Prompt));
        Console.WriteLine($"| floor: prompt written → the model request at the stub | continued | {floorBefore.Count} | {floorBefore.Cell()} | — |");
        Console.WriteLine($"| Workers: 202 in hand → the model request at the stub | continued | {workersBefore.Count} | {workersBefore.Cell()} | " +
            $"{workersBefore.OverCell(floorBefore)} |");
        Console.WriteLine($"| floor: the model request at the stub → first text read | continued | {floorAfter.Count} | {floorAfter.Cell()} | — |");
        Console.WriteLine($"| Workers: the model request at the stub → first text read | continued | {workersAfter.Count} | {workersAfter.Cell()} | " +
            $"{workersAfter.OverCell(floorAfter)} |");
        var floorFirst = new LatencyRow(measured.FloorFirst);
        var workersFirst = new LatencyRow(measured.WorkersFirst);
        Console.WriteLine($"| floor (a new process, its session just opened) | first | {floorFirst.Count} | {floorFirst.Cell()} | — |");
        Console.WriteLine($"| Workers (prewarmed process and session) | first | {workersFirst.Count} | {workersFirst.Cell()} | " +
            $"{workersFirst.OverCell(floorFirst)} |");

        var (difference, low, high) = Bootstrap.MedianDifference(workers.Milliseconds, floor.Milliseconds, options.Resamples, options.Seed);
        var verdict = low >= -5 && high <= 5 ? "**met** (the whole interval lies within ±5 ms)"
            : Math.Abs(difference) <= 5 ? "**not shown** (the estimate is, the interval is not)"
            : "**not met**";
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- **median difference (Workers − floor), continued turns: {difference:0.0} ms, bootstrap 95 % CI [{low:0.0}, {high:0.0}] ms** " +
            $"({options.Resamples} resamples of each arm with replacement, seed {options.Seed}); within 5 ms: {verdict}"));
        // The pairs' own differences (both turns of a pair succeeded): what interleaving cancels (drift, the machine's load at the
        // time) drops out of each; resampled by pair.
        var floorByPair = measured.Floor.ToDictionary(f => f.Pair, f => f.Ms);
        var paired = measured.Workers.Where(w => floorByPair.ContainsKey(w.Pair)).Select(w => w.Turn.FirstTextMs!.Value - floorByPair[w.Pair]).ToList();
        var (pairedMedian, pairedLow, pairedHigh) = Bootstrap.Median(paired, options.Resamples, options.Seed);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- median of the {paired.Count} pairs' own differences (Workers − floor, same pair): {pairedMedian:0.0} ms, bootstrap 95 % CI " +
            $"[{pairedLow:0.0}, {pairedHigh:0.0}] ms (pairs resampled with replacement)"));
        var half = options.SessionTurns / 2;
        string ByPosition(Func<int, bool> inRange) =>
            string.Create(CultureInfo.InvariantCulture, $"Workers {Percentiles.Of(measured.Workers.Where(w => inRange(w.Position)).Select(w => w.Turn.FirstTextMs!.Value), 50):0.0}, " +
                $"floor {Percentiles.Of(measured.Floor.Where(f => inRange(f.Position)).Select(f => f.Ms), 50):0.0}");
        Console.WriteLine($"- drift with the conversation's length, p50 by position: turns 1–{half}: {ByPosition(p => p <= half)}; " +
            $"turns {half + 1}–{options.SessionTurns}: {ByPosition(p => p > half)}");
        Console.WriteLine($"- pairs: {measured.Pairs}, Workers first in {measured.WorkersFirstInPair}; conversations per arm: {measured.Conversations} " +
            $"(first turns: Workers {measured.WorkersFirst.Count}, floor {measured.FloorFirst.Count}); agent processes the service started: {spawned}");
        Console.WriteLine($"- Workers continued turns by rung (process/session): {string.Join(", ", rungs.OrderBy(r => r.Key).Select(r => $"{r.Key} ×{r.Value}"))}");
        Console.WriteLine($"- turns that failed: {measured.Failures.Count}" + (measured.Failures.Count > 0 ? ":" : ""));
        foreach (var failure in measured.Failures.Take(10))
        {
            Console.WriteLine($"  - {failure}");
        }
    }

    /// <summary>The benchmark's prompt in a model request's last user text (the CLI may add to it), or null.</summary>
    private static string? PromptIn(string text)
    {
        var at = text.IndexOf("Say hi (", StringComparison.Ordinal);
        var end = at < 0 ? -1 : text.IndexOf(").", at, StringComparison.Ordinal);
        return end < 0 ? null : text[at..(end + 2)];
    }

    private static string Field(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "?";
}
