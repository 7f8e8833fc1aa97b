using System.Net;
using Microsoft.Extensions.Logging;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>A storm of wrong tokens (a hostile producer guessing) is throttled per client: past <c>FailedTokenLimit</c> in its
/// window, every request of that client needing a token is refused 429 with <c>Retry-After</c> — the right token too, so a
/// guess is never confirmed — while other clients go on. The client is the connection's address, or the one a configured
/// known proxy forwards; an unconfigured proxy's <c>X-Forwarded-For</c> changes nothing.</summary>
public sealed class FailedTokenThrottleTests
{
    private const string Token = "s3cret-token";

    [Fact(Timeout = 60_000)]
    public async Task AStormOfWrongTokens_IsRefused429PastTheLimit_RightTokenToo_WithOneWarning()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = NewSim();
        var logs = new LogCapture();
        await using var service = await ServiceHarness.StartAsync(sim, Settings(limit: 5), logs: logs);

        // 8 guessers at once, 25 guesses each: exactly the limit is answered 401, the rest 429.
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), cancellationToken, async (guesser, ct) =>
        {
            for (var i = 0; i < 25; i++)
            {
                using var answer = await SendAsync(service, $"guess-{guesser}-{i}", forwardedFor: null, ct);
                statuses.Add(answer.StatusCode);
            }
        });
        using var right = await SendAsync(service, Token, forwardedFor: null, cancellationToken);
        using var probe = await service.Client.GetAsync("/healthz", cancellationToken);

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(195, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal("application/problem+json", right.Content.Headers.ContentType?.MediaType);
        Assert.Contains("FailedTokenLimit", await right.Content.ReadAsStringAsync(cancellationToken), StringComparison.Ordinal);
        Assert.True(right.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.Single(logs.Entries,
            e => e.Level == LogLevel.Warning && e.Message.Contains("wrong or missing tokens", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task BehindAKnownProxy_EachForwardedClientHasItsOwnLimit()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = NewSim();
        var settings = Settings(limit: 3);
        settings["Workers:Service:KnownProxies:0"] = "127.0.0.0/8";
        await using var service = await ServiceHarness.StartAsync(sim, settings);

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SendAsync(service, "nope", forwardedFor: "10.0.0.1", cancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttled = await SendAsync(service, Token, forwardedFor: "10.0.0.1", cancellationToken);
        using var other = await SendAsync(service, Token, forwardedFor: "10.0.0.2", cancellationToken);
        using var otherWrong = await SendAsync(service, "nope", forwardedFor: "10.0.0.2", cancellationToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherWrong.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task WithoutKnownProxies_XForwardedForIsIgnored()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = NewSim();
        await using var service = await ServiceHarness.StartAsync(sim, Settings(limit: 3));

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await SendAsync(service, "nope", forwardedFor: $"10.0.0.{i + 1}", cancellationToken);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        // Loopback would be a trusted proxy by ASP.NET's default; here the header names no one.
        using var claimsAnother = await SendAsync(service, Token, forwardedFor: "10.0.0.99", cancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, claimsAnother.StatusCode);
    }

    private static SimHarness NewSim()
    {
        var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp");
        return sim;
    }

    private static Dictionary<string, string?> Settings(int limit) => new()
    {
        ["Workers:Service:ApiTokens:0"] = Token,
        ["Workers:Service:FailedTokenLimit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // Longer than any test: no window ends while one runs.
        ["Workers:Service:FailedTokenWindow"] = "01:00:00",
    };

    private static async Task<HttpResponseMessage> SendAsync(ServiceHarness service, string token, string? forwardedFor,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/pools") { Headers = { { "Authorization", $"Bearer {token}" } } };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return await service.Client.SendAsync(request, cancellationToken);
    }
}
