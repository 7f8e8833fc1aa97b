using System.Globalization;
using System.Net.ServerSentEvents;

namespace Workers.Host.Commands;

/// <summary>Follows a turn's event stream (<c>GET /v1/turns/{id}/events</c>) to its terminal event. When the connection
/// drops, or the service closes the stream before the end (it does when it shuts down), it reconnects with
/// <c>Last-Event-ID</c>.</summary>
/// <remarks>A reconnect asks for a few events it has already seen and compares them. The service streams events live
/// before it has stored them; if it dies in between, the next attempt of the turn reuses those sequence numbers (for its
/// <c>attempt</c> event, among others). Resuming strictly after the last id seen would skip them without a trace.</remarks>
internal sealed class TurnEventFollower(HttpClient http, TimeProvider timeProvider)
{
    /// <summary>Events re-read on a reconnect: more than the service writes in one batch (every 100 ms).</summary>
    private const int Overlap = 64;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>How long reconnecting may fail in a row (a service restart takes a few seconds) before giving up.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    /// <summary>Reads the events after <paramref name="afterSequence"/>, passes each to <paramref name="onEvent"/> in order,
    /// and returns the terminal event's type: <c>completed</c>, <c>failed</c> or <c>cancelled</c>. <paramref name="notice"/>
    /// is told about reconnects and renumbered events.</summary>
    /// <exception cref="ApiProblemException">The service answered 4xx/5xx (an unknown turn: 404).</exception>
    /// <exception cref="HttpRequestException">The service stayed unreachable for <see cref="GiveUpAfter"/>.</exception>
    public async Task<string> FollowAsync(string turnId, long afterSequence, Action<SseItem<string>> onEvent, Action<string>? notice,
        CancellationToken cancellationToken)
    {
        var seen = new SortedList<long, string>();
        var last = afterSequence;
        var delay = FirstRetryDelay;
        long? failingSince = null;
        while (true)
        {
            var rewritten = false;
            void Receive(long sequence, SseItem<string> item)
            {
                if (!rewritten && seen.TryGetValue(sequence, out var before))
                {
                    if (before == item.Data)
                    {
                        return;
                    }

                    rewritten = true;
                    notice?.Invoke(string.Create(CultureInfo.InvariantCulture,
                        $"events from {sequence} on were replaced after the service lost them (a new attempt); they follow again"));
                }

                onEvent(item);
                last = sequence;
                seen[sequence] = item.Data;
                while (seen.Count > Overlap)
                {
                    seen.RemoveAt(0);
                }

                delay = FirstRetryDelay;
                failingSince = null;
            }

            string why;
            try
            {
                var from = seen.Count > 0 ? seen.Keys[0] - 1 : last;
                if (await ReadAsync(turnId, from, Receive, cancellationToken) is { } terminal)
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
                    $"the event stream of turn '{turnId}' could not be resumed after event {last} for {GiveUpAfter.TotalMinutes:0} minutes: {why}"));
            }

            notice?.Invoke(string.Create(CultureInfo.InvariantCulture, $"event stream interrupted ({why}); reconnecting after event {last}"));
            await Task.Delay(delay, timeProvider, cancellationToken);
            delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
        }
    }

    /// <returns>The terminal event's type, or null when the stream ended without one.</returns>
    private async Task<string?> ReadAsync(string turnId, long afterSequence, Action<long, SseItem<string>> onEvent,
        CancellationToken cancellationToken)
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
            if (!long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                throw new InvalidDataException($"An event without a numeric id (event '{item.EventType}'): not a turn's event stream.");
            }

            onEvent(sequence, item);
            if (item.EventType is "completed" or "failed" or "cancelled")
            {
                return item.EventType;
            }
        }

        return null;
    }
}
