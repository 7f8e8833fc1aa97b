using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Workers.Service;
using Workers.Turns;

namespace Workers.Host.Commands;

/// <summary><c>workers demo [--conversations N] [--turns N]</c>: what to run first on a fresh clone. Starts the service
/// in-process, sends a scripted chat workload through its HTTP API on the shipped simulated agents, runs the same
/// workload spawn-per-turn, and prints how long each waited for the first token.</summary>
internal static class DemoCommand
{
    private static readonly string[] Profiles = ["sim-claude", "sim-acp"];
    private static readonly TimeSpan ArrivalSpacing = TimeSpan.FromMilliseconds(600);
    private static readonly TimeSpan ReadingTime = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan WarmUpTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long every ready process has been idle before the workload starts, as in a service that has been up a while.</summary>
    private static readonly TimeSpan SettledIdle = TimeSpan.FromSeconds(1);

    /// <summary>From a turn's streamed end to its stored record: a batch write, normally milliseconds.</summary>
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var conversations = new Option<int>("--conversations") { Description = "Conversations per profile (1–8).", DefaultValueFactory = _ => 4 };
        var turns = new Option<int>("--turns") { Description = "Turns per conversation (1–10).", DefaultValueFactory = _ => 3 };
        conversations.Validators.Add(r => Range(r, 1, 8));
        turns.Validators.Add(r => Range(r, 1, 10));
        var command = new Command("demo", "Start the service in-process on the simulated agents (sim-claude, sim-acp), run a small chat workload " +
            "through its HTTP API, then the same workload spawning a process per turn, and compare the wait for the first token.")
        {
            conversations, turns,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(new ChatWorkload(parse.GetValue(conversations), parse.GetValue(turns), ArrivalSpacing, ReadingTime), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ChatWorkload workload, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Workers demo: {Count(workload.Conversations, "conversation")} × {Count(workload.TurnsPerConversation, "turn")} on each of " +
            $"{string.Join(" and ", Profiles)} (the simulated agent), sent{Environment.NewLine}through the service's HTTP API to its warm pools " +
            $"({Count(workload.Conversations, "process")} ready per profile), then run again spawning a fresh process per turn."));
        DemoService service;
        try
        {
            // One ready process per conversation: the pool sized for the load, as an operator would size it.
            service = await DemoService.StartAsync(Profiles, workload.Conversations, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException)
        {
            await Console.Error.WriteLineAsync($"workers demo: the service did not start: {ex.Message}");
            return ExitCodes.Error;
        }

        var turns = new List<DemoTurn>();
        await using (service)
        {
            using var client = new WorkersApiClient(service.Url, token: null);
            Console.WriteLine($"Service listening on {service.Url} (data in {service.DataDirectory}, deleted at the end).");
            var exitCode = await ServiceCall.RunAsync(client, async () =>
            {
                await WaitForWarmPoolsAsync(client, cancellationToken);
                foreach (var profile in Profiles)
                {
                    turns.AddRange(await TimedAsync($"pool, {profile}", () => workload.RunAsync(profile,
                        (conversation, turn, previous) => RunPooledAsync(client, profile, conversation, turn, previous, cancellationToken),
                        cancellationToken)));
                }

                foreach (var profile in Profiles)
                {
                    turns.AddRange(await TimedAsync($"spawn-per-turn, {profile}", () => workload.RunAsync(profile,
                        (conversation, turn, previous) => RunSpawnedAsync(service, profile, conversation, turn, previous, cancellationToken),
                        cancellationToken)));
                }

                return ExitCodes.Succeeded;
            }, cancellationToken);
            if (exitCode != ExitCodes.Succeeded)
            {
                return exitCode;
            }

            Console.WriteLine();
            DemoReport.Write(Console.Out, Profiles, turns);
            Console.WriteLine();
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0} s; the service has stopped its agents and its data directory is gone."));
        return turns.All(t => t.Succeeded) ? ExitCodes.Succeeded : ExitCodes.Failed;
    }

    /// <summary>Polls GET /v1/pools until every profile of the demo has its ready processes, then until each of those has
    /// been ready for <see cref="SettledIdle"/>.</summary>
    private static async Task WaitForWarmPoolsAsync(WorkersApiClient client, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        List<(string? Name, int Ready, int Wanted)> ready = [];
        await PollUntilAsync(async () =>
        {
            var pools = (await client.GetAsync("v1/pools", cancellationToken)).GetProperty("pools").EnumerateArray()
                .Where(p => Profiles.Contains(p.GetProperty("profile").GetString()))
                .ToList();
            if (pools.FirstOrDefault(p => !p.GetProperty("available").GetBoolean()) is { ValueKind: JsonValueKind.Object } unavailable)
            {
                throw new InvalidDataException($"Profile {unavailable.GetProperty("profile")} is unavailable: {unavailable.GetProperty("unavailableReason")}");
            }

            ready = pools.Select(p => (Name: p.GetProperty("profile").GetString(), Ready: p.GetProperty("processes").GetProperty("ready").GetInt32(),
                Wanted: p.GetProperty("minReady").GetInt32())).ToList();
            return ready.Count == Profiles.Length && ready.All(p => p.Ready >= p.Wanted);
        }, TimeSpan.FromMilliseconds(100), WarmUpTimeout, () => $"The pools were not warm after {WarmUpTimeout.TotalSeconds:0} s: " +
            string.Join(", ", ready.Select(p => $"{p.Name} {p.Ready}/{p.Wanted} ready")), cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Warm: {string.Join(", ", ready.Select(p => $"{p.Name} {p.Ready} ready"))} after {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s."));

        // A Claude process answers `initialize` before its preassigned session has finished setting up in the background;
        // in a service that has been up a while that is long done. So the workload starts once every ready process has
        // sat idle that long, by the age and warm-up the service reports for it.
        await PollUntilAsync(async () =>
        {
            foreach (var profile in Profiles)
            {
                var processes = (await client.GetAsync($"v1/pools/{Uri.EscapeDataString(profile)}/processes", cancellationToken)).GetProperty("processes");
                if (processes.EnumerateArray().Any(p => p.GetProperty("state").GetString() == "ready" && ReadyFor(p) < SettledIdle))
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromMilliseconds(100), WarmUpTimeout, () => $"The ready processes did not settle within {WarmUpTimeout.TotalSeconds:0} s.",
            cancellationToken);
    }

    /// <summary>How long a pool process has been ready: its age less its warm-up (spawn to ready).</summary>
    private static TimeSpan ReadyFor(JsonElement process) => TimeSpan.FromSeconds(process.GetProperty("ageSeconds").GetDouble()
        - (process.TryGetProperty("warmupSeconds", out var warmup) && warmup.ValueKind == JsonValueKind.Number ? warmup.GetDouble() : 0));

    /// <summary>Polls <paramref name="done"/> every <paramref name="interval"/> until it holds; a <see cref="TimeoutException"/> with
    /// <paramref name="timeoutMessage"/> once <paramref name="timeout"/> has passed.</summary>
    private static async Task PollUntilAsync(Func<Task<bool>> done, TimeSpan interval, TimeSpan timeout, Func<string> timeoutMessage,
        CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await done())
        {
            if (TimeProvider.System.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException(timeoutMessage());
            }

            await Task.Delay(interval, TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>A turn as a producer sends it: POST, read its event stream to the end, then its record.</summary>
    private static async Task<DemoTurn> RunPooledAsync(WorkersApiClient client, string profile, string conversation, int turn,
        IReadOnlyList<DemoTurn> previous, CancellationToken cancellationToken)
    {
        var prompt = ChatWorkload.Prompt(turn);
        var id = await client.EnqueueAsync(new TurnSubmission
        {
            ConversationId = conversation,
            Profile = profile,
            Prompt = prompt,
            // What a producer always sends: replayed only if the conversation's session cannot be resumed.
            Transcript = previous.SelectMany(t => new[]
            {
                new TurnSubmission.TranscriptEntry { Role = "user", Text = t.Prompt },
                new TurnSubmission.TranscriptEntry { Role = "assistant", Text = t.Text },
            }).ToList(),
        }, cancellationToken);
        await client.Events.FollowAsync(id, 0, _ => { }, notice: null, cancellationToken);
        // The terminal event is streamed before the turn's record is stored: the record may still say "running".
        var record = default(JsonElement);
        await PollUntilAsync(async () =>
        {
            record = await client.GetAsync($"v1/turns/{Uri.EscapeDataString(id)}", cancellationToken);
            return record.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled";
        }, TimeSpan.FromMilliseconds(20), RecordTimeout, () => $"Turn {id} streamed its end, but its record was not stored within {RecordTimeout.TotalSeconds:0} s.",
            cancellationToken);
        return DemoTurn.FromRecord(profile, prompt, record);
    }

    /// <summary>The baseline: the same turn on a freshly spawned process, resuming the conversation's session.</summary>
    private static async Task<DemoTurn> RunSpawnedAsync(DemoService service, string profile, string conversation, int turn,
        IReadOnlyList<DemoTurn> previous, CancellationToken cancellationToken)
    {
        var prompt = ChatWorkload.Prompt(turn);
        var result = await service.SpawnPerTurn.RunAsync(new TurnRequest
        {
            Profile = profile,
            ConversationId = conversation,
            Prompt = prompt,
            ResumeSessionId = previous.Count > 0 ? previous[^1].SessionId : null,
            Continued = turn > 0,
        }, new DiscardingEventSink(), cancellationToken);
        return DemoTurn.FromResult(prompt, result);
    }

    private static async Task<IReadOnlyList<DemoTurn>> TimedAsync(string what, Func<Task<IReadOnlyList<DemoTurn>>> run)
    {
        var started = TimeProvider.System.GetTimestamp();
        var turns = await run();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {what}: {turns.Count} turns in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0.0} s"));
        return turns;
    }

    private static string Count(int n, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{n} {noun}{(n == 1 ? "" : noun.EndsWith('s') ? "es" : "s")}");

    private static void Range(System.CommandLine.Parsing.OptionResult result, int min, int max)
    {
        var value = result.GetValueOrDefault<int>();
        if (value < min || value > max)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{result.Option.Name} must be from {min} to {max}."));
        }
    }
}
