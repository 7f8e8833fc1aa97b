using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Workers.Chaos;

/// <summary>The service's HTTP API as a chaos producer uses it: every call tolerates a service that is down or restarting
/// (it is, now and then, on purpose).</summary>
internal sealed class WorkersClient : IDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);
    private readonly HttpClient _http;

    public WorkersClient(Uri url, string? token)
    {
        _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(15) };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>Posts the turn until the service accepts it: the producer's own id makes a repeat the same turn, so a POST
    /// whose answer was lost to a kill is simply sent again.</summary>
    public async Task EnqueueAsync(object turn, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var response = await _http.PostAsJsonAsync("/v1/turns", turn, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    return;
                }

                if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                {
                    throw new InvalidOperationException(
                        $"POST /v1/turns answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                // Down or restarting: try again.
            }

            await Task.Delay(RetryPause, cancellationToken);
        }
    }

    /// <summary>GET <paramref name="path"/> as JSON; null while the service does not answer.</summary>
    public async Task<JsonElement?> TryGetAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(path, cancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken) : null;
        }
        catch (Exception ex) when (IsTransient(ex, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>GET until the service answers.</summary>
    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await TryGetAsync(path, cancellationToken) is { } answer)
            {
                return answer;
            }

            await Task.Delay(RetryPause, cancellationToken);
        }
    }

    public async Task<string?> TryGetTextAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.GetStringAsync(path, cancellationToken);
        }
        catch (Exception ex) when (IsTransient(ex, cancellationToken))
        {
            return null;
        }
    }

    /// <summary>The turn's events after <paramref name="after"/>, until the first terminal event or until nothing came for
    /// <paramref name="quiet"/> (then the stream is left: the service keeps it open while it has nothing to send).</summary>
    public async Task<List<(long Id, string Type, JsonElement Data)>> ReadEventsAsync(string turnId, long after, TimeSpan quiet,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/turns/{Uri.EscapeDataString(turnId)}/events");
        request.Headers.Add("Last-Event-ID", after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var events = new List<(long, string, JsonElement)>();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(quiet);
        try
        {
            // The headers come with the first event: a stream with nothing to send is quiet from the start.
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(idle.Token))
            {
                idle.CancelAfter(quiet);
                events.Add((long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture), item.EventType,
                    JsonDocument.Parse(item.Data).RootElement.Clone()));
                if (item.EventType is "completed" or "failed" or "cancelled")
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Quiet for long enough.
        }

        return events;
    }

    public void Dispose() => _http.Dispose();

    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or IOException or JsonException
        || ex is TaskCanceledException && !cancellationToken.IsCancellationRequested;
}
