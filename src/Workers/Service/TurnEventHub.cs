using System.Collections.Concurrent;
using System.Threading.Channels;
using Workers.Store;

namespace Workers.Service;

/// <summary>Live events of the turns running here, for their SSE readers: fed from memory as they arrive, so a
/// reader sees a token when the agent writes it, not when the batch reaches the store. A running turn's events that the
/// store does not hold yet stay here too (<see cref="TurnEventFeed"/>), for the readers that subscribe late.</summary>
public sealed class TurnEventHub
{
    private readonly ConcurrentDictionary<string, LiveTurn> _turns = new(StringComparer.Ordinal);

    /// <summary>Test seam: runs in <see cref="Subscribe"/> and <see cref="OpenFeed"/> between finding the turn and joining
    /// it, the moment a concurrent leave of its last reader or feed can retire it.</summary>
    internal Action<string>? BeforeJoin { get; set; }

    /// <summary>Subscribes to a turn's live events; dispose to stop. Events published before the subscription are not
    /// delivered: after subscribing, take <see cref="Subscription.Unstored"/>, then read the store, and skip what you
    /// already have.</summary>
    public Subscription Subscribe(string turnId)
    {
        var channel = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(4096)
        {
            SingleReader = true,
            // A reader too slow to keep up loses live events and fills the gap from memory and the store (it checks
            // sequence gaps).
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        var turn = Join(turnId, joined => joined.Readers.Add(channel));
        return new Subscription(this, turnId, turn, channel);
    }

    /// <summary>Opens the feed of a run of the turn (its event sink's); dispose it when the run ends. A later run of the
    /// same turn here (the older one lost its lease) takes over what late readers are given.</summary>
    internal TurnEventFeed OpenFeed(string turnId)
    {
        TurnEventFeed? feed = null;
        Join(turnId, turn =>
        {
            feed = new TurnEventFeed(this, turnId, turn);
            turn.NewestFeed = feed;
            turn.OpenFeeds++;
        });
        return feed!;
    }

    /// <summary>Hands an event the store already holds (the terminal event, written with the turn's end) to the turn's
    /// live readers.</summary>
    public void PublishStored(string turnId, StoredEvent turnEvent)
    {
        if (!_turns.TryGetValue(turnId, out var turn))
        {
            return;
        }

        lock (turn)
        {
            turn.FanOut_NeedsLock(turnEvent);
        }
    }

    internal void Close(TurnEventFeed feed) => Leave(feed.TurnId, feed.Turn, turn =>
    {
        turn.OpenFeeds--;
        if (turn.NewestFeed == feed)
        {
            turn.NewestFeed = null;
        }
    });

    private LiveTurn Join(string turnId, Action<LiveTurn> join)
    {
        while (true)
        {
            var turn = _turns.GetOrAdd(turnId, _ => new LiveTurn());
            BeforeJoin?.Invoke(turnId);
            lock (turn)
            {
                // Retired: its last reader or feed left and took it out of the dictionary after we found it; joining it
                // would hear nothing, so look again (and add a new one).
                if (!turn.Retired)
                {
                    join(turn);
                    return turn;
                }
            }
        }
    }

    private void Leave(string turnId, LiveTurn turn, Action<LiveTurn> leave)
    {
        lock (turn)
        {
            leave(turn);
            if (turn.Idle && !turn.Retired)
            {
                turn.Retired = true;
                _turns.TryRemove(new KeyValuePair<string, LiveTurn>(turnId, turn));
            }
        }
    }

    /// <summary>A reader's view of one turn's live events.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly TurnEventHub _hub;
        private readonly string _turnId;
        private readonly LiveTurn _turn;
        private readonly Channel<StoredEvent> _channel;

        internal Subscription(TurnEventHub hub, string turnId, LiveTurn turn, Channel<StoredEvent> channel)
        {
            _hub = hub;
            _turnId = turnId;
            _turn = turn;
            _channel = channel;
        }

        public ChannelReader<StoredEvent> Events => _channel.Reader;

        /// <summary>The turn's events numbered after <paramref name="afterSequence"/> that were published here and are not
        /// stored yet, in order. Taken after subscribing and before reading the store, this and the store hold every event
        /// published before the subscription: an event leaves memory only once the store has it.</summary>
        public IReadOnlyList<StoredEvent> Unstored(long afterSequence)
        {
            lock (_turn)
            {
                return _turn.NewestFeed?.Unstored_NeedsLock(afterSequence) ?? [];
            }
        }

        public void Dispose() => _hub.Leave(_turnId, _turn, turn => turn.Readers.Remove(_channel));
    }
}
