using System.Threading.Channels;
using Workers.Store;

namespace Workers.Service;

/// <summary>What <see cref="TurnEventHub"/> holds of one turn: its live readers and the feeds of the runs publishing its
/// events here. Guarded by locking the instance. Once retired (no reader, no open feed, out of the hub's dictionary) it
/// takes no one new.</summary>
internal sealed class LiveTurn
{
    public List<Channel<StoredEvent>> Readers { get; } = [];

    /// <summary>The feed of the newest run of the turn here, whose events not yet stored a late reader is given. An older
    /// run still open beside it lost its lease: its events will never be stored.</summary>
    public TurnEventFeed? NewestFeed { get; set; }

    public int OpenFeeds { get; set; }

    public bool Retired { get; set; }

    public bool Idle => Readers.Count == 0 && OpenFeeds == 0;

    /// <summary>Hands an event to every reader; a reader whose channel is full loses it and fills the gap itself.</summary>
    public void FanOut_NeedsLock(StoredEvent turnEvent)
    {
        foreach (var reader in Readers)
        {
            reader.Writer.TryWrite(turnEvent);
        }
    }
}
