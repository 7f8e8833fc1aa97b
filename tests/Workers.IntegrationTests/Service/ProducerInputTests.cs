using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>A hostile producer over real HTTP: ids that are not one path segment, metadata keys in another order, a
/// deadline years away, a transcript of many entries. Every refusal is Problem Details naming the field, and nothing is
/// stored. (Bodies and Kestrel's refusals: <see cref="RequestRefusalsTests"/>.)</summary>
public sealed class ProducerInputTests
{
    private static async Task<(SimHarness Sim, ServiceHarness Service)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        return (sim, await ServiceHarness.StartAsync(sim, settings));
    }

    private static readonly string[] UnaddressableIds = ["a/b", ".", "..", "a b", "a%2Fb", "x?y", "x#y", "a\\b", "-x", "ü", "turn\n", new string('a', 201)];

    [Fact(Timeout = 60_000)]
    public async Task IdsThatAreNotOneUrlPathSegment_AreRefusedNamingTheField_AndNothingIsStored()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            foreach (var bad in UnaddressableIds)
            {
                var asTurnId = await PostAsync(service, new { id = bad, conversationId = "c1", profile = "sim-acp", prompt = "hi" }, ct);
                var asConversation = await PostAsync(service, new { conversationId = bad, profile = "sim-acp", prompt = "hi" }, ct);

                AssertRefused(asTurnId, "id", bad);
                AssertRefused(asConversation, "conversationId", bad);
            }

            var turns = await service.Client.GetFromJsonAsync<JsonElement>("/v1/conversations/c1/turns", ct);
            Assert.Equal(0, turns.GetProperty("turns").GetArrayLength());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task IdsOfTheDocumentedCharset_AreReachableAtTheirOwnUrls()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            const string id = "tenant-7:turn.01_A", conversation = "tenant-7:conv.01_A";
            var accepted = await service.EnqueueAsync(new { id, conversationId = conversation, profile = "sim-acp", prompt = "hi" }, ct);
            var turn = await service.WaitForEndAsync(id, ct);

            // The turn's own eventsUrl, as answered (the finished turn's stream ends after its terminal event).
            var events = await service.Client.GetStringAsync(accepted.GetProperty("eventsUrl").GetString(), ct);
            var listed = await service.Client.GetFromJsonAsync<JsonElement>($"/v1/conversations/{conversation}/turns", ct);

            Assert.Equal(id, accepted.GetProperty("id").GetString());
            Assert.Equal("succeeded", turn.GetProperty("status").GetString());
            Assert.Contains("event: completed", events, StringComparison.Ordinal);
            Assert.Equal(id, Assert.Single(listed.GetProperty("turns").EnumerateArray()).GetProperty("id").GetString());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task SameBodyWithMetadataKeysInAnotherOrder_IsTheSameTurn_AndMetadataIsReturnedAsGiven()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            const string first = """{"id":"t-meta","conversationId":"c1","profile":"sim-acp","prompt":"hi","metadata":{"a":1,"b":{"x":[{"p":1,"q":2}],"y":"z"}}}""";
            const string reordered = """{"metadata":{"b":{"y":"z","x":[{"q":2,"p":1}]},"a":1},"prompt":"hi","profile":"sim-acp","conversationId":"c1","id":"t-meta"}""";
            const string other = """{"id":"t-meta","conversationId":"c1","profile":"sim-acp","prompt":"hi","metadata":{"a":1,"b":{"x":[{"p":2,"q":1}],"y":"z"}}}""";

            using var accepted = await PostRawAsync(service, first, ct);
            using var again = await PostRawAsync(service, reordered, ct);
            using var conflict = await PostRawAsync(service, other, ct);
            var turn = await service.GetTurnAsync("t-meta", ct);

            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
            Assert.Equal("""{"a":1,"b":{"x":[{"p":1,"q":2}],"y":"z"}}""", turn.GetProperty("metadata").GetRawText());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task DeadlineBeyondTheMaximum_IsRefusedNamingDeadline_OneWithinIsAccepted()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sim, service) = await StartAsync();
        await using (sim)
        await using (service)
        {
            var now = TimeProvider.System.GetUtcNow();

            var far = await PostAsync(service, new { conversationId = "c1", profile = "sim-acp", prompt = "hi", deadline = now.AddDays(60) }, ct);
            var farther = await PostAsync(service, new { conversationId = "c1", profile = "sim-acp", prompt = "hi", deadline = DateTimeOffset.MaxValue }, ct);
            var near = await PostAsync(service, new { conversationId = "c2", profile = "sim-acp", prompt = "hi", deadline = now.AddDays(6) }, ct);

            AssertRefused(far, "deadline", null);
            AssertRefused(farther, "deadline", null);
            Assert.Equal(HttpStatusCode.Accepted, near.Status);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task TranscriptOfMoreEntriesThanTheLimit_IsRefusedNamingTranscript()
    {
        var ct = TestContext.Current.CancellationToken;
        var (sim, service) = await StartAsync(new Dictionary<string, string?> { ["Workers:Service:MaxTranscriptEntries"] = "4" });
        await using (sim)
        await using (service)
        {
            object Entries(int count) => Enumerable.Range(0, count).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", text = "x" }).ToArray();

            var many = await PostAsync(service, new { conversationId = "c1", profile = "sim-acp", prompt = "hi", transcript = Entries(5) }, ct);
            var enough = await PostAsync(service, new { conversationId = "c2", profile = "sim-acp", prompt = "hi", transcript = Entries(4) }, ct);

            AssertRefused(many, "transcript", null);
            Assert.Contains("MaxTranscriptEntries", many.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Accepted, enough.Status);
        }
    }

    private static void AssertRefused((HttpStatusCode Status, string? MediaType, string Body) answer, string field, string? value)
    {
        Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{field} {JsonSerializer.Serialize(value)} answered {(int)answer.Status}: {answer.Body}");
        Assert.Equal("application/problem+json", answer.MediaType);
        var errors = JsonDocument.Parse(answer.Body).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors name {field}: {answer.Body}");
    }

    private static async Task<(HttpStatusCode Status, string? MediaType, string Body)> PostAsync(ServiceHarness service, object body,
        CancellationToken cancellationToken)
    {
        using var response = await service.Client.PostAsJsonAsync("/v1/turns", body, cancellationToken);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static Task<HttpResponseMessage> PostRawAsync(ServiceHarness service, string json, CancellationToken cancellationToken) =>
        service.Client.PostAsync("/v1/turns", new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);
}
