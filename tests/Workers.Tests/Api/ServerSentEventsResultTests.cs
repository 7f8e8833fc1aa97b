using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Workers.Api;
using Workers.Store;

namespace Workers.Tests.Api;

/// <summary>The bytes of an SSE response: the retry hint at once, each event as <c>event:</c>, one <c>data:</c> per line of
/// its JSON and <c>id:</c>, a comment every keep-alive interval while no event comes, and the end of the response at the
/// reader's cancellation.</summary>
public sealed class ServerSentEventsResultTests
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    private readonly ArmedTimeProvider _time = new();
    private readonly Channel<StoredEvent> _events = Channel.CreateUnbounded<StoredEvent>();
    private readonly WrittenBody _body = new();

    [Fact(Timeout = 20_000)]
    public async Task ExecuteAsync_WritesEachEventAsAFrame_WithALineOfDataPerLine()
    {
        var context = Context(TestContext.Current.CancellationToken);
        _events.Writer.TryWrite(new StoredEvent(1, "session", """{"type":"session","sequence":1}""", DateTimeOffset.UnixEpoch));
        _events.Writer.TryWrite(new StoredEvent(1_000_002, "text_delta", "{\"a\":1,\n\"b\":2}", DateTimeOffset.UnixEpoch));
        _events.Writer.Complete();

        await Result().ExecuteAsync(context);

        Assert.Equal("retry: 2000\n\n"
            + "event: session\ndata: {\"type\":\"session\",\"sequence\":1}\nid: 1\n\n"
            + "event: text_delta\ndata: {\"a\":1,\ndata: \"b\":2}\nid: 1000002\n\n", _body.Text);
        Assert.Equal("text/event-stream", context.Response.ContentType);
    }

    [Fact(Timeout = 20_000)]
    public async Task ExecuteAsync_WhileNoEventComes_WritesAKeepAliveCommentEachInterval_ThenTheEvent()
    {
        var response = Result().ExecuteAsync(Context(TestContext.Current.CancellationToken));

        await _time.ArmedAsync(1);
        _time.Advance(KeepAlive);
        _time.Advance(KeepAlive);
        _events.Writer.TryWrite(new StoredEvent(1, "text_delta", """{"type":"text_delta"}""", DateTimeOffset.UnixEpoch));
        // The wait for the next event starts only once the first is written.
        await _time.ArmedAsync(2);
        _events.Writer.Complete();
        await response;

        Assert.Equal("retry: 2000\n\n: keep-alive\n\n: keep-alive\n\nevent: text_delta\ndata: {\"type\":\"text_delta\"}\nid: 1\n\n",
            _body.Text);
    }

    [Fact(Timeout = 20_000)]
    public async Task ExecuteAsync_ReaderGoneWhileWaiting_EndsCancelled_WithNoMoreComments()
    {
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var response = Result().ExecuteAsync(Context(aborted.Token));

        await _time.ArmedAsync(1);
        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => response);
        _time.Advance(KeepAlive);
        Assert.Equal("retry: 2000\n\n", _body.Text);
    }

    private ServerSentEventsResult Result() => new(ReadAsync(), KeepAlive, _time);

    private DefaultHttpContext Context(CancellationToken aborted) =>
        new() { RequestAborted = aborted, Response = { Body = _body } };

    private async IAsyncEnumerable<StoredEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var turnEvent in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return turnEvent;
        }
    }

    /// <summary>A fake clock that tells when its timers have been armed: the response arms its keep-alive timer when it starts
    /// to wait, maybe on another thread, and advancing the clock before that would fire nothing.</summary>
    private sealed class ArmedTimeProvider : TimeProvider
    {
        private readonly FakeTimeProvider _fake = new();
        private readonly Lock _lock = new();
        private readonly List<(int Times, TaskCompletionSource Done)> _waiters = [];
        private int _armed;

        /// <summary>Completes once timers were armed (given a finite due time) <paramref name="times"/> times in all.</summary>
        public Task ArmedAsync(int times)
        {
            lock (_lock)
            {
                if (_armed >= times)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((times, done));
                return done.Task;
            }
        }

        public void Advance(TimeSpan delta) => _fake.Advance(delta);

        public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

        public override long GetTimestamp() => _fake.GetTimestamp();

        public override long TimestampFrequency => _fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new ArmedTimer(this, _fake.CreateTimer(callback, state, dueTime, period));

        private void Armed()
        {
            List<TaskCompletionSource> done;
            lock (_lock)
            {
                _armed++;
                done = [.. _waiters.Where(w => w.Times <= _armed).Select(w => w.Done)];
                _waiters.RemoveAll(w => w.Times <= _armed);
            }

            done.ForEach(d => d.TrySetResult());
        }

        private sealed class ArmedTimer(ArmedTimeProvider owner, ITimer timer) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                var changed = timer.Change(dueTime, period);
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    owner.Armed();
                }

                return changed;
            }

            public void Dispose() => timer.Dispose();

            public ValueTask DisposeAsync() => timer.DisposeAsync();
        }
    }

    /// <summary>A response body that keeps what is written, readable from the test's thread.</summary>
    private sealed class WrittenBody : Stream
    {
        private readonly Lock _lock = new();
        private readonly MemoryStream _written = new();

        public string Text
        {
            get
            {
                lock (_lock)
                {
                    return System.Text.Encoding.UTF8.GetString(_written.ToArray());
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_lock)
            {
                _written.Write(buffer);
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        // Stream's own runs Flush on the thread pool: a comment's flush would end after the test's next step.
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _written.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
