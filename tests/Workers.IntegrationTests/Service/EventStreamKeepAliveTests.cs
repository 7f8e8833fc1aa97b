using System.Text;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>An event stream on a turn that has nothing to send yet (queued behind its conversation's running turn): the
/// headers and the <c>retry:</c> hint come at once, and a comment line every <c>SseKeepAlive</c> keeps an idle-timing proxy
/// from cutting it, until the turn's events come and end it.</summary>
public sealed class EventStreamKeepAliveTests
{
    [Fact(Timeout = 60_000)]
    public async Task AQueuedTurnsStream_SendsHeadersAndRetryAtOnce_ThenKeepAlives_ThenItsEvents()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp",
            configure: p => p.Pool.MinReady = 1);
        await using var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?>
        {
            ["Workers:Service:SseKeepAlive"] = "00:00:00.200",
        });
        var first = await EnqueueAsync(service, "t1", "long [[sim:tokens=2000]] [[sim:token-interval-ms=20]]", cancellationToken);
        await service.WaitForStatusAsync(first, "running", cancellationToken);
        var queued = await EnqueueAsync(service, "t2", "hello", cancellationToken);
        Assert.Equal("queued", (await service.GetTurnAsync(queued, cancellationToken)).GetProperty("status").GetString());

        // Before: no headers until the turn's first event, so this did not return while the turn waited.
        using var response = await service.Client.GetAsync($"/v1/turns/{queued}/events", HttpCompletionOption.ResponseHeadersRead,
            cancellationToken);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        using var lines = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        Assert.Equal("retry: 2000", await lines.ReadLineAsync(cancellationToken));
        Assert.Equal("", await lines.ReadLineAsync(cancellationToken));

        // Two keep-alives while the turn is still queued: comments, not events.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(": keep-alive", await lines.ReadLineAsync(cancellationToken));
            Assert.Equal("", await lines.ReadLineAsync(cancellationToken));
        }

        Assert.Equal("queued", (await service.GetTurnAsync(queued, cancellationToken)).GetProperty("status").GetString());

        using (await service.Client.PostAsync($"/v1/turns/{first}/cancel", null, cancellationToken))
        {
        }

        // Then the turn's own events, ending with its terminal one, keep-alives or not between them.
        var types = new List<string>();
        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                types.Add(line["event: ".Length..]);
            }
        }

        Assert.Equal("completed", types[^1]);
        Assert.Contains("text_delta", types);
    }

    private static async Task<string> EnqueueAsync(ServiceHarness service, string id, string prompt, CancellationToken cancellationToken) =>
        (await service.EnqueueAsync(new { id, conversationId = "c1", profile = "sim-acp", prompt }, cancellationToken))
            .GetProperty("id").GetString()!;
}
