using System.Buffers;
using System.IO.Pipelines;

namespace Workers.Api;

/// <summary>The keep-alive comments of one SSE response: while its writer waits for the next event (between
/// <see cref="Start"/> and <see cref="StopAsync"/>), a comment line is written every interval, so that a proxy with an idle
/// timeout keeps the stream open. One timer for the whole response, armed for each wait, instead of a timed wait made and
/// dropped for every event.</summary>
/// <remarks>The response body is written by one party at a time: the response's writer outside a wait, the timer inside
/// one. <see cref="StopAsync"/> hands it back, after a comment being written, if any, is flushed.</remarks>
internal sealed class KeepAliveComments : IAsyncDisposable
{
    private static readonly byte[] Comment = ": keep-alive\n\n"u8.ToArray();

    private const int Stopped = 0;
    private const int Waiting = 1;
    private const int Writing = 2;

    /// <summary>A comment is being written and the writer has asked for the body back: it gets it when the comment is
    /// flushed.</summary>
    private const int WritingStopAsked = 3;

    private readonly PipeWriter _body;
    private readonly TimeSpan _interval;
    private readonly CancellationToken _cancellationToken;
    private readonly ITimer _timer;
    private int _state = Stopped;

    /// <summary>Completed when the comment being written as a stop was asked for is flushed.</summary>
    private TaskCompletionSource? _commentDone;

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
        Volatile.Write(ref _state, Waiting);
        _timer.Change(_interval, _interval);
    }

    /// <summary>The wait is over: no more comments, and the body is the writer's again once this completes.</summary>
    /// <exception cref="Exception">A comment's write failed during the wait (what its flush threw).</exception>
    public ValueTask StopAsync()
    {
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        while (true)
        {
            if (Interlocked.CompareExchange(ref _state, Stopped, Waiting) == Waiting)
            {
                return _failure is { } failure ? ValueTask.FromException(failure) : ValueTask.CompletedTask;
            }

            // A comment is being written (a tick that fires late finds the state Stopped and writes nothing). Statement
            // order matters: the signal is set before the state says it is there.
            var commentDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _commentDone, commentDone);
            if (Interlocked.CompareExchange(ref _state, WritingStopAsked, Writing) == Writing)
            {
                return new ValueTask(AfterCommentAsync(commentDone.Task));
            }

            // The comment was done in between: the state is Waiting again.
        }
    }

    private async Task AfterCommentAsync(Task commentDone)
    {
        await commentDone;
        if (_failure is { } failure)
        {
            throw failure;
        }
    }

    private void OnTick()
    {
        // Only during a wait, and one comment at a time: a tick that finds the body taken writes nothing; nor after a write
        // failed, as the reader is gone.
        if (Volatile.Read(ref _failure) is null && Interlocked.CompareExchange(ref _state, Writing, Waiting) == Waiting)
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
            if (Interlocked.CompareExchange(ref _state, Waiting, Writing) != Writing)
            {
                // The writer asked for the body back meanwhile (WritingStopAsked): it is the writer's now.
                Volatile.Write(ref _state, Stopped);
                Volatile.Read(ref _commentDone)!.TrySetResult();
            }
        }
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();
}
