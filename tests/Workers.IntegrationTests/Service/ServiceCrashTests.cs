using System.Net.Http.Json;
using System.Text.Json;
using Workers.IntegrationTests.Support;

namespace Workers.IntegrationTests.Service;

/// <summary>The real service process killed with SIGKILL in the middle of turns, then started again.</summary>
public sealed class ServiceCrashTests
{
    [Fact(Timeout = 180_000)]
    public async Task KilledMidTurn_NoAgentOutlivesIt_AndAfterARestartEveryTurnEndsOnceInOrder()
    {
        await using var sim = new SimHarness();
        var environment = new Dictionary<string, string>
        {
            ["Workers__DataDirectory"] = Path.Combine(sim.DataDirectory, "service"),
            ["Workers__Service__LeaseDuration"] = "00:00:10",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var profile in new[] { "sim-claude", "sim-acp", "sim-codex", "sim-plain" })
        {
            environment[$"Workers__Profiles__{profile}__Env__{ProcessLeaks.MarkerVariable}"] = sim.Marker;
            environment[$"Workers__Profiles__{profile}__Pool__MinReady"] = profile == "sim-acp" ? "2" : "0";
        }

        var ids = new List<(string Conversation, string Id)>();
        await using (var service = await ServiceProcess.StartAsync(environment, TestContext.Current.CancellationToken))
        {
            using var client = new HttpClient { BaseAddress = service.Address };
            for (var turn = 0; turn < 3; turn++)
            {
                for (var conversation = 0; conversation < 4; conversation++)
                {
                    using var response = await client.PostAsJsonAsync("/v1/turns", new
                    {
                        conversationId = $"conv-{conversation}",
                        profile = "sim-acp",
                        prompt = $"turn {turn} [[sim:first-token-ms=300]] [[sim:tokens=20]] [[sim:token-interval-ms=40]]",
                    }, TestContext.Current.CancellationToken);
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
                    ids.Add(($"conv-{conversation}", body.GetProperty("id").GetString()!));
                }
            }

            // Kill the service outright once a turn is in the middle of its stream (its first text seen, 19 tokens of
            // 40 ms still to come): that turn has a claim and no end, so the restart must run it as attempt 2.
            var streaming = await SseReader.ReadAsync(client, ids[0].Id, TestContext.Current.CancellationToken, until: "text_delta");
            Assert.Equal("text_delta", streaming[^1].Type);
            Assert.NotEmpty(ProcessLeaks.Find(sim.Marker));
            await service.KillAsync();
        }

        // The orphan watchdog ends every agent within a bounded time (SIGTERM, then SIGKILL 2 s later).
        await ProcessLeaks.AssertNoneLeftAsync(sim.Marker, TimeSpan.FromSeconds(10));

        await using (var restarted = await ServiceProcess.StartAsync(environment, TestContext.Current.CancellationToken))
        {
            using var client = new HttpClient { BaseAddress = restarted.Address };
            var ends = new Dictionary<string, JsonElement>();
            foreach (var (_, id) in ids)
            {
                ends[id] = await ServiceHarness.WaitForEndAsync(client, id, TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            }

            Assert.All(ends.Values, t => Assert.Equal("succeeded", t.GetProperty("status").GetString()));
            Assert.Contains(ends.Values, t => t.GetProperty("attempts").GetInt32() == 2);
            foreach (var conversation in ids.GroupBy(i => i.Conversation))
            {
                var turns = conversation.Select(i => ends[i.Id]).ToList();
                Assert.Equal([1L, 2L, 3L], turns.Select(t => t.GetProperty("sequence").GetInt64()));
                for (var i = 1; i < turns.Count; i++)
                {
                    Assert.True(turns[i].GetProperty("claimedAt").GetDateTimeOffset() >= turns[i - 1].GetProperty("finishedAt").GetDateTimeOffset());
                }
            }

            foreach (var (_, id) in ids)
            {
                var events = await SseReader.ReadAsync(client, id, TestContext.Current.CancellationToken);
                // Within an attempt the ids are consecutive; attempt n starts its own block at (n − 1) × 10⁶ + 1.
                foreach (var attempt in events.GroupBy(e => (e.Id - 1) / Workers.Service.Dispatcher.AttemptSequenceBlock))
                {
                    var numbers = attempt.Select(e => e.Id).ToList();
                    Assert.Equal(Enumerable.Range(0, numbers.Count).Select(i => numbers[0] + i), numbers);
                    Assert.Equal(attempt.Key * Workers.Service.Dispatcher.AttemptSequenceBlock + 1, numbers[0]);
                }

                Assert.Single(events, e => e.Type is "completed" or "failed" or "cancelled");
                if (ends[id].GetProperty("attempts").GetInt32() == 2)
                {
                    Assert.Contains(events, e => e.Type == "attempt");
                }
            }
        }

        await ProcessLeaks.AssertNoneLeftAsync(sim.Marker, TimeSpan.FromSeconds(10));
    }
}
