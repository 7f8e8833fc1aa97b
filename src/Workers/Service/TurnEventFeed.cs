using Workers.Store;

namespace Workers.Service;

/// <summary>One run's events of a turn, from the run's event sink to the hub: each goes to the live readers at once and
/// stays here, oldest first, until the store has it. The sink writes its batches from here, and a reader that subscribes
/// late gets what the store does not hold yet from here, so it never waits for a flush to see an event that exists.
/// Holds at most what the sink lets wait for the store; gone with the run (<see cref="Dispose"/>).</summary>
internal sealed class TurnEventFeed : IDisposable
{
    private readonly TurnEventHub _hub;

    /// <summary>Published and not yet stored, in the order published. Guarded by locking <see cref="Turn"/>, so that an
    /// event is kept and fanned out at one moment, as a reader joining sees it.</summary>
    private readonly List<StoredEvent> _unstored = [];

    private bool _closed;

    internal TurnEventFeed(TurnEventHub hub, string turnId, LiveTurn turn)
    {
        _hub = hub;
        TurnId = turnId;
        Turn = turn;
    }

    public string TurnId { get; }

    internal LiveTurn Turn { get; }

    /// <summary>How many events wait for the store.</summary>
    public int Count
    {
        get
        {
            lock (Turn)
            {
                return _unstored.Count;
            }
        }
    }

    /// <summary>Keeps the event until <see cref="Stored"/> and hands it to the turn's live readers. Once the feed is
    /// closed its run is over, and a line still delivered by its agent's reader is neither kept nor sent.</summary>
    public void Publish(StoredEvent turnEvent)
    {
        lock (Turn)
        {
            if (_closed)
            {
                return;
            }

            _unstored.Add(turnEvent);
            Turn.FanOut_NeedsLock(turnEvent);
        }
    }

    /// <summary>The next batch to write: up to <paramref name="max"/> of the oldest events not stored.</summary>
    public List<StoredEvent> Oldest(int max)
    {
        lock (Turn)
        {
            return _unstored.GetRange(0, Math.Min(max, _unstored.Count));
        }
    }

    /// <summary>The oldest <paramref name="count"/> events are stored (their write committed): readers get them from the
    /// store now, and memory lets them go.</summary>
    public void Stored(int count)
    {
        lock (Turn)
        {
            // A closed feed let its events go already.
            if (!_closed)
            {
                _unstored.RemoveRange(0, count);
            }
        }
    }

    /// <summary>The events not stored yet that are numbered after <paramref name="afterSequence"/>, in order.</summary>
    internal List<StoredEvent> Unstored_NeedsLock(long afterSequence) => _unstored.FindAll(e => e.Sequence > afterSequence);

    public void Dispose()
    {
        lock (Turn)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _unstored.Clear();
        }

        _hub.Close(this);
    }
}
