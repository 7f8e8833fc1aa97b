using System.Runtime.CompilerServices;
using Workers.Service;
using Workers.Store;

namespace Workers.Api;

/// <summary>A turn's events for an SSE reader (<see cref="ServerSentEventsResult"/>), after its Last-Event-ID: what the store holds, then what a run
/// here published and the store does not hold yet (from memory), then live as they arrive, ending with the terminal
/// event. So a reader never waits for the batch writer to see an event that exists, however late it subscribes. Live
/// events are checked against the sequence: a gap (a reader too slow for the live feed, or a new attempt's numbering) is
/// filled at once from memory and the store. A turn running on another replica is followed in the store, read again
/// every second while nothing comes live. A reader whose Last-Event-ID is at or past the terminal event is answered with
/// nothing, at once for a finished turn, else when the turn ends.</summary>
internal sealed class TurnEventStream(ITurnStore store, TurnEventHub hub)
{
    private const int ReplayPage = 500;
    private static readonly TimeSpan StorePoll = TimeSpan.FromSeconds(1);

    public async IAsyncEnumerable<StoredEvent> ReadAsync(string turnId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var live = hub.Subscribe(turnId);
        var last = afterSequence;
        // The live event that showed a gap; sent once the gap before it is filled.
        StoredEvent? afterGap = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Memory before the store, both after subscribing: an event leaves memory only once it is stored, so every
            // event published before the subscription is in one of the two reads, and every later one comes live.
            var unstored = live.Unstored(last);
            // Asked before the read: a turn finished by now has every event stored (its end and its terminal event are one
            // write), so if the read then holds no terminal event, the reader is already past it and nothing will come.
            var finished = await store.GetTurnStateAsync(turnId, cancellationToken) is not (TurnState.Queued or TurnState.Running);
            var stored = await store.ReadEventsAsync(turnId, last, ReplayPage, cancellationToken);
            foreach (var turnEvent in stored)
            {
                yield return turnEvent;
                last = turnEvent.Sequence;
                if (turnEvent.IsTerminal)
                {
                    yield break;
                }
            }

            if (stored.Count == ReplayPage)
            {
                continue;
            }

            // Memory never holds the terminal event: it is published once stored.
            foreach (var turnEvent in unstored.Where(e => e.Sequence > last))
            {
                yield return turnEvent;
                last = turnEvent.Sequence;
            }

            if (afterGap is not null && afterGap.Sequence > last)
            {
                // Every event before it has been sent now (a new attempt's numbering skips ids: none is missing then).
                yield return afterGap;
                last = afterGap.Sequence;
                if (afterGap.IsTerminal)
                {
                    yield break;
                }
            }

            afterGap = null;
            if (finished)
            {
                yield break;
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            poll.CancelAfter(StorePoll);
            while (afterGap is null)
            {
                // Awaited here rather than in a method of its own, which would allocate for every wait of every reader.
                bool more;
                try
                {
                    more = await live.Events.WaitToReadAsync(poll.Token);
                }
                catch (OperationCanceledException)
                {
                    more = false;
                }

                if (!more)
                {
                    break;
                }

                while (live.Events.TryRead(out var turnEvent))
                {
                    if (turnEvent.Sequence <= last)
                    {
                        continue;
                    }

                    if (turnEvent.Sequence != last + 1)
                    {
                        afterGap = turnEvent;
                        break;
                    }

                    yield return turnEvent;
                    last = turnEvent.Sequence;
                    if (turnEvent.IsTerminal)
                    {
                        yield break;
                    }
                }
            }
        }
    }
}
