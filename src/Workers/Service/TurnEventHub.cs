using System.Collections.Concurrent;
using System.Threading.Channels;
using Workers.Store;

namespace Workers.Service;

/// <summary>Live events of the turns running here, for their SSE readers: fed from memory as they arrive, so a
/// reader sees a token when the agent writes it, not when the batch reaches the store.</summary>
public sealed class TurnEventHub
{
    private readonly ConcurrentDictionary<string, List<Channel<StoredEvent>>> _subscribers = new(StringComparer.Ordinal);

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
        var list = _subscribers.GetOrAdd(turnId, _ => []);
        lock (list)
        {
            list.Add(channel);
        }

        return new Subscription(this, turnId, channel);
    }

    public void Publish(string turnId, StoredEvent turnEvent)
    {
        if (!_subscribers.TryGetValue(turnId, out var list))
        {
            return;
        }

        lock (list)
        {
            foreach (var channel in list)
            {
                channel.Writer.TryWrite(turnEvent);
            }
        }
    }

    private void Unsubscribe(string turnId, Channel<StoredEvent> channel)
    {
        if (_subscribers.TryGetValue(turnId, out var list))
        {
            lock (list)
            {
                list.Remove(channel);
                if (list.Count == 0)
                {
                    _subscribers.TryRemove(new KeyValuePair<string, List<Channel<StoredEvent>>>(turnId, list));
                }
            }
        }
    }

    /// <summary>A reader's view of one turn's live events.</summary>
    public sealed class Subscription(TurnEventHub hub, string turnId, Channel<StoredEvent> channel) : IDisposable
    {
        public ChannelReader<StoredEvent> Events => channel.Reader;

        public void Dispose() => hub.Unsubscribe(turnId, channel);
    }
}
