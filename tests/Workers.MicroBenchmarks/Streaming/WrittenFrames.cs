using System.Runtime.CompilerServices;
using Workers.Store;

namespace Workers.MicroBenchmarks.Streaming;

/// <summary>Counts the frames an SSE response has written, across all of a turn's readers, and completes a wait when the
/// expected number has been: the fan-out benchmark's "every reader has the event". A frame counts as written when its
/// response asks for the next one, which <c>ServerSentEventsResult</c> does only after writing it.</summary>
internal sealed class WrittenFrames
{
    private int _outstanding;
    private TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Expects <paramref name="frames"/> more frames; the task completes once they are all written.</summary>
    public Task Expect(int frames)
    {
        _written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _outstanding, frames);
        return _written.Task;
    }

    /// <summary><paramref name="events"/>, noting each frame as written when the response asks for the next.</summary>
    public async IAsyncEnumerable<StoredEvent> Counted(IAsyncEnumerable<StoredEvent> events,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            yield return item;
            if (Interlocked.Decrement(ref _outstanding) == 0)
            {
                _written.TrySetResult();
            }
        }
    }
}
