using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>The HTTP API over real HTTP on 127.0.0.1, with a real SQLite file and simulated agents. Over the usual size:
/// the API's whole surface in one place, each test short and on its own service; crashes are in ServiceCrashTests.</summary>
public sealed class ServiceApiTests
{
    private static readonly string[] Segments = ["cli_ready", "session_init", "model_first_token", "remainder"];

    private static readonly Dictionary<string, string> Quick = new() { ["SIM_STARTUP_MS"] = "30", ["SIM_FIRST_TOKEN_MS"] = "20", ["SIM_TOKENS"] = "6" };

    private static async Task<(SimHarness Sim, ServiceHarness Service)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var sim = new SimHarness();
        sim.AddProfile(Acp, Quick, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        sim.AddProfile(Claude, Quick, name: "sim-claude", configure: p => p.Pool.MinReady = 0);
        return (sim, await ServiceHarness.StartAsync(sim, settings));
    }

    [Fact(Timeout = 60_000)]
    public async Task EnqueuedTurn_StreamsEveryEventInOrderAndEndsWithItsRecord()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            await service.WaitForReadyProcessesAsync("sim-acp", 1, TestContext.Current.CancellationToken);
            var accepted = await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "hello" }, TestContext.Current.CancellationToken);
            var id = accepted.GetProperty("id").GetString()!;

            var events = await SseReader.ReadAsync(service.Client, id, TestContext.Current.CancellationToken);
            var turn = await service.WaitForEndAsync(id, TestContext.Current.CancellationToken);

            Assert.Equal("queued", accepted.GetProperty("status").GetString());
            Assert.Equal($"/v1/turns/{id}/events", accepted.GetProperty("eventsUrl").GetString());
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
            Assert.Equal("session", events[0].Type);
            Assert.Equal("completed", events[^1].Type);
            Assert.Equal("succeeded", turn.GetProperty("status").GetString());
            Assert.Equal("Echo: hello lorem ipsum dolor sit", turn.GetProperty("text").GetString());
            Assert.Equal("warm", turn.GetProperty("process").GetString());
            Assert.Equal("first", turn.GetProperty("turn").GetString());
            Assert.Equal(1, turn.GetProperty("attempts").GetInt32());
            var timing = turn.GetProperty("timing");
            var sum = Segments.Sum(s => timing.TryGetProperty(s, out var v) ? v.GetDouble() : 0);
            // Within a microsecond, not "equal at 6 decimals": rounding both sides flips the last digit whenever the total
            // sits on a half microsecond (0.0576095 against a sum of 0.05760949999…).
            Assert.Equal(timing.GetProperty("spawn_to_first_token").GetDouble(), sum, tolerance: 1e-6);
            Assert.True(timing.GetProperty("time_to_first_token").GetDouble() >= timing.GetProperty("spawn_to_first_token").GetDouble());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task EventStream_ResumesAfterLastEventId()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var id = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "hello" }, TestContext.Current.CancellationToken))
                .GetProperty("id").GetString()!;
            var all = await SseReader.ReadAsync(service.Client, id, TestContext.Current.CancellationToken);

            var rest = await SseReader.ReadAsync(service.Client, id, TestContext.Current.CancellationToken, lastEventId: 3);

            Assert.Equal(all.Skip(3).Select(e => (e.Id, e.Type)), rest.Select(e => (e.Id, e.Type)));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task SameIdSameBody_IsTheSameTurn_OtherBodyIsAConflict()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var body = new { id = "turn-1", conversationId = "c1", profile = "sim-acp", prompt = "hello" };
            var first = await service.EnqueueAsync(body, TestContext.Current.CancellationToken);
            var again = await service.EnqueueAsync(body, TestContext.Current.CancellationToken);
            using var conflict = await service.Client.PostAsJsonAsync("/v1/turns", body with { prompt = "other" }, TestContext.Current.CancellationToken);

            Assert.Equal("turn-1", first.GetProperty("id").GetString());
            Assert.Equal("turn-1", again.GetProperty("id").GetString());
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
            var turns = await service.Client.GetFromJsonAsync<JsonElement>("/v1/conversations/c1/turns", TestContext.Current.CancellationToken);
            Assert.Equal(1, turns.GetProperty("turns").GetArrayLength());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task CancelQueuedAndRunningTurns_LaterTurnsOfTheConversationStillRun()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var running = (await service.EnqueueAsync(new
            {
                conversationId = "c1", profile = "sim-acp", prompt = "long [[sim:tokens=300]] [[sim:token-interval-ms=20]]",
            }, TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
            var queued = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "second" }, TestContext.Current.CancellationToken))
                .GetProperty("id").GetString()!;
            var third = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "third" }, TestContext.Current.CancellationToken))
                .GetProperty("id").GetString()!;
            await SseReader.ReadAsync(service.Client, running, TestContext.Current.CancellationToken, stopAfter: 3);

            using var cancelQueued = await service.Client.PostAsync($"/v1/turns/{queued}/cancel", null, TestContext.Current.CancellationToken);
            using var cancelRunning = await service.Client.PostAsync($"/v1/turns/{running}/cancel", null, TestContext.Current.CancellationToken);
            var runningEnd = await service.WaitForEndAsync(running, TestContext.Current.CancellationToken);
            var queuedEnd = await service.WaitForEndAsync(queued, TestContext.Current.CancellationToken);
            var thirdEnd = await service.WaitForEndAsync(third, TestContext.Current.CancellationToken);
            var queuedEvents = await SseReader.ReadAsync(service.Client, queued, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, cancelQueued.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, cancelRunning.StatusCode);
            Assert.Equal(("cancelled", "cancelled"), (runningEnd.GetProperty("status").GetString(), queuedEnd.GetProperty("status").GetString()));
            Assert.Equal("cancelled", Assert.Single(queuedEvents).Type);
            Assert.Equal("succeeded", thirdEnd.GetProperty("status").GetString());
        }
    }

    public static TheoryData<string, string> BadBodies() => new()
    {
        { "{\"conversationId\": \"c1\", \"profile\": ", "not valid JSON" },
        { "[1,2]", "not valid JSON" },
        { "{\"profile\": \"sim-acp\", \"prompt\": \"hi\"}", "conversationId" },
        { "{\"conversationId\": \"c1\", \"prompt\": \"hi\"}", "profile" },
        { "{\"conversationId\": \"c1\", \"profile\": \"gpt-9\", \"prompt\": \"hi\"}", "known profiles: sim-acp, sim-claude" },
        { "{\"conversationId\": \"c1\", \"profile\": \"sim-acp\", \"prompt\": \"   \"}", "prompt" },
        { "{\"conversationId\": \"c1\", \"profile\": \"sim-acp\", \"prompt\": \"hi\", \"cwd\": \"/etc\"}", "cwd" },
        { "{\"conversationId\": \"c1\", \"profile\": \"sim-acp\", \"prompt\": \"hi\", \"cwd\": \"relative\"}", "cwd" },
        { "{\"conversationId\": \"c1\", \"profile\": \"sim-acp\", \"prompt\": \"hi\", \"transcript\": [{\"role\": \"system\", \"text\": \"x\"}]}", "transcript" },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(BadBodies))]
    public async Task BadInput_IsAnswered400WithAReasonAndNothingIsStored(string body, string mentioned)
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            using var response = await service.Client.PostAsync("/v1/turns", new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
                TestContext.Current.CancellationToken);
            var problem = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(mentioned, problem, StringComparison.Ordinal);
            var turns = await service.Client.GetFromJsonAsync<JsonElement>("/v1/conversations/c1/turns", TestContext.Current.CancellationToken);
            Assert.Equal(0, turns.GetProperty("turns").GetArrayLength());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task WorkingDirectoryEscapes_ThroughDotDotOrASymlink_AreRefused()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var workspace = sim.Catalog.Get("sim-acp").DefaultWorkingDirectory;
            var link = Path.Combine(workspace, "escape");
            Directory.CreateSymbolicLink(link, "/etc");
            foreach (var cwd in new[] { Path.Combine(workspace, "..", ".."), link })
            {
                using var response = await service.Client.PostAsJsonAsync("/v1/turns", new { conversationId = "c1", profile = "sim-acp", prompt = "hi", cwd },
                    TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task OversizedPrompt_AndAFullQueue_AreRefused()
    {
        var (sim, service) = await StartAsync(new Dictionary<string, string?>
        {
            ["Workers:Service:MaxPromptBytes"] = "1000",
            ["Workers:Service:MaxQueuedTurns"] = "1",
        });
        await using (sim)
        await using (service)
        {
            using var big = await service.Client.PostAsJsonAsync("/v1/turns", new { conversationId = "c1", profile = "sim-acp", prompt = new string('x', 1001) },
                TestContext.Current.CancellationToken);
            // One long turn runs, one waits behind it in the conversation: the queue is full.
            var running = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "long [[sim:first-token-ms=3000]]" },
                TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;
            // Claimed, it no longer counts as queued.
            await service.WaitForStatusAsync(running, "running", TestContext.Current.CancellationToken);
            await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "waits" }, TestContext.Current.CancellationToken);
            using var full = await service.Client.PostAsJsonAsync("/v1/turns", new { conversationId = "c2", profile = "sim-acp", prompt = "one more" },
                TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.BadRequest, big.StatusCode);
            Assert.Contains("MaxPromptBytes", await big.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            Assert.Equal((HttpStatusCode)429, full.StatusCode);
            Assert.NotNull(full.Headers.RetryAfter);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task WithTokensConfigured_EveryEndpointButTheProbesNeedsOne()
    {
        var (sim, service) = await StartAsync(new Dictionary<string, string?> { ["Workers:Service:ApiTokens:0"] = "s3cret-token" });
        await using (sim)
        await using (service)
        {
            using var anonymous = await service.Client.GetAsync("/v1/pools", TestContext.Current.CancellationToken);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/pools") { Headers = { { "Authorization", "Bearer nope" } } };
            using var wrongResponse = await service.Client.SendAsync(wrong, TestContext.Current.CancellationToken);
            using var right = new HttpRequestMessage(HttpMethod.Get, "/v1/pools") { Headers = { { "Authorization", "Bearer s3cret-token" } } };
            using var rightResponse = await service.Client.SendAsync(right, TestContext.Current.CancellationToken);
            using var health = await service.Client.GetAsync("/healthz", TestContext.Current.CancellationToken);
            using var ready = await service.Client.GetAsync("/readyz", TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
            Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task ManyConcurrentProducers_EachConversationRunsInOrderOneTurnAtATime()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var ids = new System.Collections.Concurrent.ConcurrentBag<(string Conversation, int Index, string Id)>();
            await Parallel.ForEachAsync(Enumerable.Range(0, 5), TestContext.Current.CancellationToken, async (c, ct) =>
            {
                for (var t = 0; t < 6; t++)
                {
                    var accepted = await service.EnqueueAsync(new { conversationId = $"conv-{c}", profile = t % 2 == 0 ? "sim-acp" : "sim-claude", prompt = $"{t}" },
                        ct);
                    ids.Add(($"conv-{c}", t, accepted.GetProperty("id").GetString()!));
                }
            });

            foreach (var conversation in ids.GroupBy(i => i.Conversation))
            {
                var turns = new List<JsonElement>();
                foreach (var (_, _, id) in conversation.OrderBy(i => i.Index))
                {
                    turns.Add(await service.WaitForEndAsync(id, TestContext.Current.CancellationToken, TimeSpan.FromSeconds(90)));
                }

                Assert.All(turns, t => Assert.Equal("succeeded", t.GetProperty("status").GetString()));
                Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), turns.Select(t => t.GetProperty("sequence").GetInt64()));
                for (var i = 1; i < turns.Count; i++)
                {
                    // Strictly one at a time, in order: each turn is claimed only after the previous one finished.
                    var (claimed, previousFinished) = (turns[i].GetProperty("claimedAt").GetDateTimeOffset(), turns[i - 1].GetProperty("finishedAt").GetDateTimeOffset());
                    Assert.True(claimed >= previousFinished,
                        $"{conversation.Key} turn {i + 1} claimed at {claimed:O}, before turn {i} finished at {previousFinished:O}");
                }
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task PoolsStatus_ProcessesDrainAndDeletingAConversation()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var id = (await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "hi" }, TestContext.Current.CancellationToken))
                .GetProperty("id").GetString()!;
            await service.WaitForEndAsync(id, TestContext.Current.CancellationToken);

            var pools = await service.Client.GetFromJsonAsync<JsonElement>("/v1/pools", TestContext.Current.CancellationToken);
            var acp = pools.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == "sim-acp");
            var processes = await service.Client.GetFromJsonAsync<JsonElement>("/v1/pools/sim-acp/processes", TestContext.Current.CancellationToken);
            using var delete = await service.Client.DeleteAsync("/v1/conversations/c1", TestContext.Current.CancellationToken);
            using var drain = await service.Client.PostAsync("/v1/pools/sim-acp/drain", null, TestContext.Current.CancellationToken);
            using var unknown = await service.Client.GetAsync("/v1/pools/nope/processes", TestContext.Current.CancellationToken);

            Assert.Equal(1, acp.GetProperty("processes").GetProperty("bound").GetInt32());
            Assert.Equal("sim-agent 1.0.0", acp.GetProperty("cliVersion").GetString());
            Assert.True(acp.GetProperty("leases").GetInt64() >= 1);
            Assert.Contains(processes.GetProperty("processes").EnumerateArray(), p => p.GetProperty("state").GetString() == "bound");
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, drain.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task TurnWhoseDeadlinePassesInTheQueue_FailsDeadlineExceededWithoutAProcess()
    {
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            await service.EnqueueAsync(new { conversationId = "c1", profile = "sim-acp", prompt = "slow [[sim:first-token-ms=1500]]" },
                TestContext.Current.CancellationToken);
            var late = (await service.EnqueueAsync(new
            {
                conversationId = "c1", profile = "sim-acp", prompt = "too late", deadline = TimeProvider.System.GetUtcNow().AddMilliseconds(300),
            }, TestContext.Current.CancellationToken)).GetProperty("id").GetString()!;

            var end = await service.WaitForEndAsync(late, TestContext.Current.CancellationToken);
            var events = await SseReader.ReadAsync(service.Client, late, TestContext.Current.CancellationToken);

            Assert.Equal(("failed", "deadline_exceeded"), (end.GetProperty("status").GetString(), end.GetProperty("reason").GetString()));
            Assert.False(end.TryGetProperty("process", out _));
            Assert.Equal("failed", Assert.Single(events).Type);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task StartupProbe_AnswersWhenThePoolsAreWarm_AndPoolSizesReloadWithoutARestart()
    {
        await using var sim = new SimHarness();
        var profile = sim.AddProfile(Acp, Quick, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        var configDirectory = Directory.CreateDirectory(Path.Combine(sim.DataDirectory, "config")).FullName;
        async Task WriteConfigAsync(int minReady) => await File.WriteAllTextAsync(Path.Combine(configDirectory, "appsettings.json"),
            JsonSerializer.Serialize(new { Workers = new { Profiles = new Dictionary<string, object>
            {
                ["sim-acp"] = new { profile.Family, profile.Command, profile.Args, profile.Env, Pool = new { MinReady = minReady, MaxReady = 4 } },
            } } }), TestContext.Current.CancellationToken);
        await WriteConfigAsync(1);
        await using var service = await ServiceHarness.StartAsync(sim, configDirectory: configDirectory);

        await service.WaitForReadyProcessesAsync("sim-acp", 1, TestContext.Current.CancellationToken);
        using var startup = await service.Client.GetAsync("/startupz", TestContext.Current.CancellationToken);
        await WriteConfigAsync(3);
        await service.WaitForReadyProcessesAsync("sim-acp", 3, TestContext.Current.CancellationToken);
        // The directory's file is layered over the shipped appsettings.json and under the (unprefixed) environment.
        var providers = ((Microsoft.Extensions.Configuration.IConfigurationRoot)service.Services
            .GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration))!).Providers.ToList();
        int IndexOf(Func<Microsoft.Extensions.Configuration.IConfigurationProvider, bool> match) => providers.FindLastIndex(p => match(p));
        var shipped = IndexOf(p => p is Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider json && json.Source.Path == "appsettings.json"
            && json.Source.FileProvider is Microsoft.Extensions.FileProviders.PhysicalFileProvider root && root.Root.TrimEnd('/') != configDirectory);
        var directory = IndexOf(p => p is Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider json
            && json.Source.FileProvider is Microsoft.Extensions.FileProviders.PhysicalFileProvider root && root.Root.TrimEnd('/') == configDirectory);
        var environment = IndexOf(p => p is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationProvider);
        Assert.True(shipped < directory && directory < environment, $"providers: shipped {shipped}, directory {directory}, environment {environment}");

        Assert.Equal(HttpStatusCode.OK, startup.StatusCode);
    }
}
