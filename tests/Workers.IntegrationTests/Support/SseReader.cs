using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Workers.IntegrationTests.Support;

/// <summary>Reads a turn's event stream the way a producer does.</summary>
public static class SseReader
{
    public sealed record Item(long Id, string Type, JsonElement Data);

    /// <summary>Reads until the terminal event, the first event of type <paramref name="until"/>, or <paramref name="stopAfter"/>
    /// items, whichever comes first.</summary>
    public static async Task<List<Item>> ReadAsync(HttpClient client, string turnId, CancellationToken cancellationToken, long? lastEventId = null,
        int stopAfter = int.MaxValue, string? until = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/turns/{turnId}/events");
        if (lastEventId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var items = new List<Item>();
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            items.Add(new Item(long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture), item.EventType,
                JsonDocument.Parse(item.Data).RootElement.Clone()));
            if (item.EventType is "completed" or "failed" or "cancelled" || item.EventType == until || items.Count >= stopAfter)
            {
                break;
            }
        }

        return items;
    }

    /// <summary><see cref="ReadAsync"/> that must end within <paramref name="limit"/>: a stream still open then fails the
    /// test, saying so (a reader kept waiting for something, not a slow machine: the limits are far above a normal read).</summary>
    public static async Task<List<Item>> ReadWithinAsync(HttpClient client, string turnId, TimeSpan limit, long? lastEventId = null,
        int stopAfter = int.MaxValue)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(limit);
        try
        {
            return await ReadAsync(client, turnId, bounded.Token, lastEventId, stopAfter);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"The stream of {turnId} after Last-Event-ID {lastEventId ?? 0} did not give {(stopAfter == int.MaxValue ? "its end" : $"{stopAfter} events")} "
                + $"within {limit.TotalSeconds:0} s.");
            throw;
        }
    }
}
