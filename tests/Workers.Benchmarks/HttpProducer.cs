using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;

namespace Workers.Benchmarks;

/// <summary>A producer as the API expects one: <c>POST /v1/turns</c>, then <c>GET</c> its event stream and read it to the
/// terminal event. The wait it reports is the one the overhead target is written on: from holding the 202 to the first
/// <c>text_delta</c> read.</summary>
internal sealed class HttpProducer(HttpClient http, string profile)
{
    /// <summary>How a turn went for the producer.</summary>
    /// <param name="FirstTextMs">202 in hand → first <c>text_delta</c> read; null when none came.</param>
    /// <param name="Terminal">The terminal event's type (<c>completed</c>, <c>failed</c>, <c>cancelled</c>), or what went wrong.</param>
    /// <param name="Id">The turn's id, when it was enqueued.</param>
    /// <param name="PostMs">The POST's own round trip (sent → 202 read), which the first-text wait does not include.</param>
    public sealed record Turn(double? FirstTextMs, string Terminal, string? Id = null, double? PostMs = null)
    {
        public bool Succeeded => Terminal == "completed";
    }

    /// <summary>Enqueues a turn and returns once the 202 is read, or throws with the answer.</summary>
    public async Task<string> EnqueueAsync(string conversation, string prompt, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("N");
        using var response = await http.PostAsJsonAsync("/v1/turns", new { id, conversationId = conversation, profile, prompt }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new HttpRequestException($"enqueue answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return id;
    }

    public async Task<Turn> RunAsync(string conversation, string prompt, CancellationToken cancellationToken)
    {
        var posted = Stopwatch.GetTimestamp();
        var id = await EnqueueAsync(conversation, prompt, cancellationToken);
        var accepted = Stopwatch.GetTimestamp();
        var postMs = Stopwatch.GetElapsedTime(posted, accepted).TotalMilliseconds;
        return await ReadToTerminalAsync(id, accepted, postMs, cancellationToken);
    }

    /// <summary>Reads turn <paramref name="id"/>'s event stream to its terminal event: returns once the turn has ended.</summary>
    public Task<Turn> WaitForEndAsync(string id, CancellationToken cancellationToken) =>
        ReadToTerminalAsync(id, Stopwatch.GetTimestamp(), null, cancellationToken);

    private async Task<Turn> ReadToTerminalAsync(string id, long accepted, double? postMs, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"/v1/turns/{id}/events", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        double? firstText = null;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            if (firstText is null && item.EventType == "text_delta")
            {
                firstText = Stopwatch.GetElapsedTime(accepted).TotalMilliseconds;
            }

            if (item.EventType is "completed" or "failed" or "cancelled")
            {
                return new Turn(firstText, item.EventType == "failed" ? $"failed: {item.Data}" : item.EventType, id, postMs);
            }
        }

        return new Turn(firstText, "stream ended before a terminal event", id, postMs);
    }
}
