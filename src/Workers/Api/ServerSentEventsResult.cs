using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Workers.Store;

namespace Workers.Api;

/// <summary>Writes a turn's events as a Server-Sent Events response that a proxy with an idle timeout keeps open: the
/// headers and a <c>retry:</c> hint go out at once (a reader of a queued turn knows at once that it is connected), a comment
/// line every <paramref name="keepAlive"/> while no event comes (<see cref="KeepAliveComments"/>), and each event as soon as
/// no other is ready behind it: its type as the SSE event, its JSON as the data, its sequence as the id.</summary>
/// <remarks>ASP.NET's own <c>TypedResults.ServerSentEvents</c> sends nothing before the first event and has no comments, so a
/// reader of a turn that waits in the queue sees no headers, and an idle-timing proxy cuts the stream. The events are taken
/// as the store keeps them, not as <see cref="SseItem{T}"/>: an event's id is written from its number, with no string made
/// for it per reader.</remarks>
internal sealed class ServerSentEventsResult(IAsyncEnumerable<StoredEvent> events, TimeSpan keepAlive, TimeProvider timeProvider)
    : IResult
{
    /// <summary>How long a reader whose connection dropped should wait before it connects again (with its Last-Event-ID).</summary>
    public static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    /// <summary>The longest decimal <see cref="long"/>, sign included.</summary>
    private const int MaxIdBytes = 20;

    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache,no-store";
        // Tells nginx-style ingresses not to buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
        var cancellationToken = context.RequestAborted;
        var body = response.BodyWriter;
        Write(body, string.Create(CultureInfo.InvariantCulture, $"retry: {(long)ReconnectDelay.TotalMilliseconds}\n\n"));
        await body.FlushAsync(cancellationToken);

        var reader = events.GetAsyncEnumerator(cancellationToken);
        await using var comments = new KeepAliveComments(body, keepAlive, timeProvider, cancellationToken);
        ValueTask<bool>? inFlight = null;
        try
        {
            while (true)
            {
                var next = reader.MoveNextAsync();
                bool more;
                if (next.IsCompleted)
                {
                    more = next.Result;
                }
                else
                {
                    // Nothing ready behind what was written: send it, then wait, with a comment at each idle interval.
                    inFlight = next;
                    await body.FlushAsync(cancellationToken);
                    comments.Start();
                    try
                    {
                        inFlight = null;
                        more = await next;
                    }
                    finally
                    {
                        await comments.StopAsync();
                    }

                    // The events end at the reader's cancellation; so does the response, as a cancelled one.
                    cancellationToken.ThrowIfCancellationRequested();
                }

                if (!more)
                {
                    break;
                }

                WriteEvent(body, reader.Current);
            }

            await body.FlushAsync(cancellationToken);
        }
        finally
        {
            // An enumerator must not be disposed while a move is in flight (the flush before the wait failed); the move ends
            // at the reader's cancellation.
            if (inFlight is { } move)
            {
                await ((Task)move.AsTask()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await reader.DisposeAsync();
        }
    }

    private static void WriteEvent(PipeWriter body, StoredEvent turnEvent)
    {
        Write(body, "event: ");
        Write(body, turnEvent.Type);
        Write(body, "\n");
        // A data field holds one line: a multi-line payload is one data field per line (the reader joins them with \n).
        foreach (var line in turnEvent.Json.AsSpan().EnumerateLines())
        {
            Write(body, "data: ");
            Write(body, line);
            Write(body, "\n");
        }

        Write(body, "id: ");
        turnEvent.Sequence.TryFormat(body.GetSpan(MaxIdBytes), out var idBytes, default, CultureInfo.InvariantCulture);
        body.Advance(idBytes);
        Write(body, "\n\n");
    }

    private static void Write(IBufferWriter<byte> body, ReadOnlySpan<char> text) => Encoding.UTF8.GetBytes(text, body);
}
