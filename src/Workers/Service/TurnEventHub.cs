using System.Collections.Concurrent;
using System.Threading.Channels;
using Workers.Store;

namespace Workers.Service;

/// <summary>Live events of the turns running here, for their SSE readers: fed from memory as they arrive, so a
/// reader sees a token when the agent writes it, not when the batch reaches the store.</summary>
public sealed class TurnEventHub
{
    private readonly ConcurrentDictionary<string, Readers> _readers = new(StringComparer.Ordinal);

    /// <summary>Test seam: runs in <see cref="Subscribe"/> between finding the turn's readers and joining them, the
    /// moment a concurrent <c>Unsubscribe</c> of the last reader can retire them.</summary>
    internal Action<string>? BeforeJoin { get; set; }

    /// <summary>Subscribes to a turn's live events; dispose to stop. Events published before the subscription are not
    /// delivered: read the store after subscribing and skip what you already have.</summary>
    public Subscription Subscribe(string turnId)
    {
        var channel = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(4096)
        {
            SingleReader = true,
            // A reader too slow to keep up loses live events and falls back on the store (it checks sequence gaps).
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        while (true)
        {
            var readers = _readers.GetOrAdd(turnId, _ => new Readers());
            BeforeJoin?.Invoke(turnId);
            lock (readers)
            {
                // Retired: its last reader left and took it out of the dictionary after we found it; joining it would
                // hear nothing, so look again (and add a new one).
                if (!readers.Retired)
                {
                    readers.Channels.Add(channel);
                    return new Subscription(this, turnId, channel);
                }
            }
        }
    }

    public void Publish(string turnId, StoredEvent turnEvent)
    {
        if (!_readers.TryGetValue(turnId, out var readers))
        {
            return;
        }

        lock (readers)
        {
            foreach (var channel in readers.Channels)
            {
                channel.Writer.TryWrite(turnEvent);
            }
        }
    }

    private void Unsubscribe(string turnId, Channel<StoredEvent> channel)
    {
        if (!_readers.TryGetValue(turnId, out var readers))
        {
            return;
        }

        lock (readers)
        {
            readers.Channels.Remove(channel);
            if (readers.Channels.Count == 0 && !readers.Retired)
            {
                readers.Retired = true;
                _readers.TryRemove(new KeyValuePair<string, Readers>(turnId, readers));
            }
        }
    }

    /// <summary>One turn's readers; guarded by locking the instance. Once retired (empty and out of the dictionary) it
    /// takes no new reader.</summary>
    private sealed class Readers
    {
        public List<Channel<StoredEvent>> Channels { get; } = [];

        public bool Retired { get; set; }
    }

    /// <summary>A reader's view of one turn's live events.</summary>
    public sealed class Subscription(TurnEventHub hub, string turnId, Channel<StoredEvent> channel) : IDisposable
    {
        public ChannelReader<StoredEvent> Events => channel.Reader;

        public void Dispose() => hub.Unsubscribe(turnId, channel);
    }
}
