using System.Buffers;
using System.IO.Pipelines;

namespace Workers.Api;

/// <summary>The keep-alive comments of one SSE response: while its writer waits for the next event (between
/// <see cref="Start"/> and <see cref="StopAsync"/>), a comment line is written every interval, so that a proxy with an idle
/// timeout keeps the stream open. One timer for the whole response, armed for each wait, instead of a timed wait made and
/// dropped for every event.</summary>
/// <remarks>The response body is written by one party at a time: the response's writer outside a wait, a comment inside
/// one. Who holds it is a semaphore of one that is free only while the writer waits: a tick takes it for its comment (a
/// tick that finds it taken writes nothing), and <see cref="StopAsync"/> takes it back, after the comment being written,
/// if any, is flushed.</remarks>
internal sealed class KeepAliveComments : IAsyncDisposable
{
    private static readonly byte[] Comment = ": keep-alive\n\n"u8.ToArray();

    private readonly PipeWriter _body;
    private readonly TimeSpan _interval;
    private readonly CancellationToken _cancellationToken;
    private readonly ITimer _timer;
    private readonly SemaphoreSlim _bodyFree = new(0, 1);

    /// <summary>Why a comment could not be written (the reader went away); thrown by the next <see cref="StopAsync"/>.</summary>
    private Exception? _failure;

    public KeepAliveComments(PipeWriter body, TimeSpan interval, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        _body = body;
        _interval = interval;
        _cancellationToken = cancellationToken;
        _timer = timeProvider.CreateTimer(static state => ((KeepAliveComments)state!).OnTick(), this, Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);
    }

    /// <summary>The writer waits from now: a comment after each interval until <see cref="StopAsync"/>. The body must be
    /// flushed already.</summary>
    public void Start()
    {
        _bodyFree.Release();
        _timer.Change(_interval, _interval);
    }

    /// <summary>The wait is over: no more comments, and the body is the writer's again once this completes.</summary>
    /// <exception cref="Exception">A comment's write failed during the wait (what its flush threw).</exception>
    public async ValueTask StopAsync()
    {
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await _bodyFree.WaitAsync(CancellationToken.None);
        if (_failure is { } failure)
        {
            throw failure;
        }
    }

    private void OnTick()
    {
        // Only during a wait, one comment at a time, and not after a write failed: the reader is gone.
        if (Volatile.Read(ref _failure) is null && _bodyFree.Wait(0))
        {
            _ = WriteCommentAsync();
        }
    }

    private async Task WriteCommentAsync()
    {
        try
        {
            _body.Write(Comment);
            await _body.FlushAsync(_cancellationToken);
        }
        catch (Exception ex)
        {
            // Kept for the writer, which ends the response with it at the end of its wait.
            _failure = ex;
        }
        finally
        {
            _bodyFree.Release();
        }
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();
}
