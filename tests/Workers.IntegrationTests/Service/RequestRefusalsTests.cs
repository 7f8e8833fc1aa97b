using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>Refusals around the endpoints (<c>Api/RequestRefusals</c>): <c>Workers:Service:MaxRequestBodyBytes</c>, the
/// refusals Kestrel makes while a body is read, over a raw socket (a producer that announces more than it sends, sends it
/// slowly, or sends too much in chunks), and error statuses no endpoint wrote a body for. Each answer is Problem Details,
/// and the service logs it as the client's error, never as an unhandled exception.</summary>
public sealed class RequestRefusalsTests
{
    private const int BodyLimit = 100_000;

    private static readonly Dictionary<string, string?> SmallLimits = new()
    {
        ["Workers:Service:MaxPromptBytes"] = "1000",
        ["Workers:Service:MaxTranscriptBytes"] = "1000",
        ["Workers:Service:MaxTranscriptEntries"] = "4",
        ["Workers:Service:MaxRequestBodyBytes"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Logging:LogLevel:Workers"] = "Information",
    };

    private static async Task<(SimHarness Sim, ServiceHarness Service)> StartAsync(LogCapture logs, IDictionary<string, string?>? settings = null)
    {
        var sim = new SimHarness();
        sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_STARTUP_MS"] = "30" }, name: "sim-acp", configure: p => p.Pool.MinReady = 0);
        try
        {
            return (sim, await ServiceHarness.StartAsync(sim, settings ?? SmallLimits, logs: logs));
        }
        catch
        {
            await sim.DisposeAsync();
            throw;
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task ContentLengthOverTheLimit_Is413ProblemDetailsAtOnce_WithoutTheBodyBeingSent()
    {
        using var logs = new LogCapture();
        var (sim, service) = await StartAsync(logs);
        await using (sim)
        await using (service)
        {
            var answer = await SendAsync(service, $"POST /v1/turns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {BodyLimit + 1}",
                null, TestContext.Current.CancellationToken);

            AssertProblem(answer, 413, "MaxRequestBodyBytes");
            AssertLoggedAsTheClientsError(logs);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task ChunkedBodyOverTheLimit_Is413ProblemDetails_LoggedAsTheClientsError()
    {
        using var logs = new LogCapture();
        var (sim, service) = await StartAsync(logs);
        await using (sim)
        await using (service)
        {
            var json = Encoding.UTF8.GetBytes($$"""{"conversationId":"c1","profile":"sim-acp","prompt":"{{new string('x', BodyLimit + 10)}}"}""");
            var chunked = new MemoryStream();
            foreach (var chunk in json.Chunk(16 * 1024))
            {
                chunked.Write(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n"));
                chunked.Write(chunk);
                chunked.Write("\r\n"u8);
            }

            chunked.Write("0\r\n\r\n"u8);

            var answer = await SendAsync(service, "POST /v1/turns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                chunked.ToArray(), TestContext.Current.CancellationToken);

            AssertProblem(answer, 413, "MaxRequestBodyBytes");
            AssertLoggedAsTheClientsError(logs);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task BodyArrivingTooSlowly_Is408ProblemDetails_LoggedAsTheClientsError()
    {
        using var logs = new LogCapture();
        var (sim, service) = await StartAsync(logs);
        await using (sim)
        await using (service)
        {
            // Ten bytes of a thousand announced, then nothing: Kestrel's minimum body data rate (240 B/s after a 5 s grace) cuts it.
            var answer = await SendAsync(service, "POST /v1/turns HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000",
                "{\"prompt\":"u8.ToArray(), TestContext.Current.CancellationToken);

            AssertProblem(answer, 408, "slowly");
            AssertLoggedAsTheClientsError(logs);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task UnknownPathAndWrongMethod_AreProblemDetails()
    {
        using var logs = new LogCapture();
        var (sim, service) = await StartAsync(logs);
        await using (sim)
        await using (service)
        {
            using var unknown = await service.Client.GetAsync("/v1/nothing-here", TestContext.Current.CancellationToken);
            using var wrongMethod = await service.Client.DeleteAsync("/v1/turns", TestContext.Current.CancellationToken);

            foreach (var (response, status) in new[] { (unknown, 404), (wrongMethod, 405) })
            {
                Assert.Equal(status, (int)response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
                Assert.Equal(status, problem.GetProperty("status").GetInt32());
            }
        }
    }

    [Fact]
    public async Task BodyLimitBelowWhatTheOtherLimitsAllow_FailsStartUpNamingBoth()
    {
        using var logs = new LogCapture();
        var settings = new Dictionary<string, string?>(SmallLimits) { ["Workers:Service:MaxRequestBodyBytes"] = "20000" };

        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => StartAsync(logs, settings));

        var failure = Assert.Single(error.Failures, f => f.Contains("MaxRequestBodyBytes", StringComparison.Ordinal));
        Assert.Contains("MaxPromptBytes", failure, StringComparison.Ordinal);
        Assert.Contains("MaxTranscriptBytes", failure, StringComparison.Ordinal);
    }

    private static async Task<RawHttp.Answer> SendAsync(ServiceHarness service, string head, byte[]? body, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        return await RawHttp.SendAsync(service.Client.BaseAddress!, head, body, bounded.Token);
    }

    private static void AssertProblem(RawHttp.Answer answer, int status, string mentioned)
    {
        Assert.True(answer.Status == status, $"answered {answer.Status}: {answer.Head}\n{answer.Body}");
        Assert.StartsWith("application/problem+json", answer.ContentType, StringComparison.Ordinal);
        var problem = JsonDocument.Parse(answer.Body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.Contains(mentioned, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Nothing at Error or above and no exception for the refused request; one Information or Warning entry says
    /// what was refused.</summary>
    private static void AssertLoggedAsTheClientsError(LogCapture logs)
    {
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error || e.Exception is not null);
        Assert.Contains(logs.Entries, e => e.Level is LogLevel.Information or LogLevel.Warning && e.Category.StartsWith("Workers.Api", StringComparison.Ordinal));
    }
}
