using System.Globalization;
using System.Net.ServerSentEvents;

namespace Workers.Host.Commands;

/// <summary>Follows a turn's event stream (<c>GET /v1/turns/{id}/events</c>) to its terminal event. When the connection
/// drops, or the service closes the stream before the end (it stops streams when it shuts down), it reconnects with
/// <c>Last-Event-ID</c> = the last sequence seen, so no event is lost or repeated.</summary>
internal sealed class TurnEventFollower(HttpClient http, TimeProvider timeProvider)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>How long reconnecting may fail in a row (a service restart takes a few seconds) before giving up.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    /// <summary>Reads the events after <paramref name="afterSequence"/>, passes each to <paramref name="onEvent"/> in order,
    /// and returns the terminal event's type: <c>completed</c>, <c>failed</c> or <c>cancelled</c>. <paramref name="reconnecting"/> is
    /// told the last sequence seen and why the stream ended before each reconnect.</summary>
    /// <exception cref="ApiProblemException">The service answered 4xx/5xx (an unknown turn: 404).</exception>
    /// <exception cref="HttpRequestException">The service stayed unreachable for <see cref="GiveUpAfter"/>.</exception>
    public async Task<string> FollowAsync(string turnId, long afterSequence, Action<SseItem<string>> onEvent,
        Action<long, string>? reconnecting, CancellationToken cancellationToken)
    {
        var last = afterSequence;
        var delay = FirstRetryDelay;
        long? failingSince = null;
        while (true)
        {
            string why;
            try
            {
                var terminal = await ReadAsync(turnId, last, item =>
                {
                    onEvent(item);
                    if (long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
                    {
                        last = sequence;
                    }

                    delay = FirstRetryDelay;
                    failingSince = null;
                }, cancellationToken);
                if (terminal is not null)
                {
                    return terminal;
                }

                why = "the service closed the stream before the turn ended";
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                why = ex.Message;
            }

            failingSince ??= timeProvider.GetTimestamp();
            if (timeProvider.GetElapsedTime(failingSince.Value) > GiveUpAfter)
            {
                throw new HttpRequestException(string.Create(CultureInfo.InvariantCulture,
                    $"The event stream of turn '{turnId}' could not be resumed after event {last} for {GiveUpAfter.TotalMinutes:0} minutes: {why}"));
            }

            reconnecting?.Invoke(last, why);
            await Task.Delay(delay, timeProvider, cancellationToken);
            delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
        }
    }

    /// <returns>The terminal event's type, or null when the stream ended without one.</returns>
    private async Task<string?> ReadAsync(string turnId, long afterSequence, Action<SseItem<string>> onEvent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/turns/{Uri.EscapeDataString(turnId)}/events");
        if (afterSequence > 0)
        {
            request.Headers.Add("Last-Event-ID", afterSequence.ToString(CultureInfo.InvariantCulture));
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ApiProblemException(await ApiProblem.ReadAsync(response, cancellationToken));
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            onEvent(item);
            if (item.EventType is "completed" or "failed" or "cancelled")
            {
                return item.EventType;
            }
        }

        return null;
    }
}
