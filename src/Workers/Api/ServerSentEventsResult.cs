using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.ServerSentEvents;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Workers.Api;

/// <summary>Writes events as a Server-Sent Events response that a proxy with an idle timeout keeps open: the headers and a
/// <c>retry:</c> hint go out at once (a reader of a queued turn knows at once that it is connected), a comment line every
/// <paramref name="keepAlive"/> while no event comes, and each event as soon as no other is ready behind it.</summary>
/// <remarks>ASP.NET's own <c>TypedResults.ServerSentEvents</c> sends nothing before the first event and has no comments, so a
/// reader of a turn that waits in the queue sees no headers, and an idle-timing proxy cuts the stream.</remarks>
internal sealed class ServerSentEventsResult(IAsyncEnumerable<SseItem<string>> events, TimeSpan keepAlive, TimeProvider timeProvider)
    : IResult
{
    /// <summary>How long a reader whose connection dropped should wait before it connects again (with its Last-Event-ID).</summary>
    public static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    private static readonly byte[] KeepAliveComment = ": keep-alive\n\n"u8.ToArray();

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
        Task<bool>? pending = null;
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
                    await body.FlushAsync(cancellationToken);
                    pending = next.AsTask();
                    await WaitWithKeepAliveAsync(pending, body, cancellationToken);
                    more = await pending;
                    pending = null;
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
            // An enumerator must not be disposed while a move is in flight; the move ends at the reader's cancellation.
            if (pending is not null)
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            await reader.DisposeAsync();
        }
    }

    private async Task WaitWithKeepAliveAsync(Task<bool> pending, PipeWriter body, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await pending.WaitAsync(keepAlive, timeProvider, cancellationToken);
                return;
            }
            catch (TimeoutException)
            {
                body.Write(KeepAliveComment);
                await body.FlushAsync(cancellationToken);
            }
        }
    }

    private static void WriteEvent(IBufferWriter<byte> body, SseItem<string> item)
    {
        Write(body, "event: ");
        Write(body, item.EventType);
        Write(body, "\n");
        // A data field holds one line: a multi-line payload is one data field per line (the reader joins them with \n).
        foreach (var line in item.Data.AsSpan().EnumerateLines())
        {
            Write(body, "data: ");
            Write(body, line);
            Write(body, "\n");
        }

        if (item.EventId is { } id)
        {
            Write(body, "id: ");
            Write(body, id);
            Write(body, "\n");
        }

        Write(body, "\n");
    }

    private static void Write(IBufferWriter<byte> body, ReadOnlySpan<char> text) => Encoding.UTF8.GetBytes(text, body);
}
