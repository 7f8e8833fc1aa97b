using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Workers.Service;
using Workers.Store;

namespace Workers.Api;

/// <summary>A turn's events as Server-Sent Events: replayed from the store after the reader's Last-Event-ID, then live
/// from memory as they arrive, ending with the terminal event. Live events are checked against the sequence: a gap
/// (a reader too slow for the live feed, or events from another replica) is filled from the store. A reader whose
/// Last-Event-ID is at or past the terminal event is answered with nothing, at once for a finished turn, else when the
/// turn ends.</summary>
internal sealed class TurnEventStream(ITurnStore store, TurnEventHub hub, TimeProvider timeProvider)
{
    private const int ReplayPage = 500;
    private static readonly TimeSpan StorePoll = TimeSpan.FromSeconds(1);

    public async IAsyncEnumerable<SseItem<string>> ReadAsync(string turnId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var live = hub.Subscribe(turnId);
        var last = afterSequence;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Asked before the read: a turn finished by now has every event stored (its end and its terminal event are one
            // write), so if the read then holds no terminal event, the reader is already past it and nothing will come.
            var finished = await store.GetTurnStateAsync(turnId, cancellationToken) is not (TurnState.Queued or TurnState.Running);
            var stored = await store.ReadEventsAsync(turnId, last, ReplayPage, cancellationToken);
            foreach (var turnEvent in stored)
            {
                yield return Item(turnEvent);
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

            if (finished)
            {
                yield break;
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            poll.CancelAfter(StorePoll);
            var gap = false;
            while (!gap && await WaitForLiveAsync(live, poll.Token))
            {
                while (live.Events.TryRead(out var turnEvent))
                {
                    if (turnEvent.Sequence <= last)
                    {
                        continue;
                    }

                    if (turnEvent.Sequence != last + 1)
                    {
                        gap = true;
                        break;
                    }

                    yield return Item(turnEvent);
                    last = turnEvent.Sequence;
                    if (turnEvent.IsTerminal)
                    {
                        yield break;
                    }
                }
            }

            if (gap)
            {
                // Give the batch writer a moment to store what was missed.
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeProvider, cancellationToken);
            }
        }
    }

    private static async Task<bool> WaitForLiveAsync(TurnEventHub.Subscription live, CancellationToken cancellationToken)
    {
        try
        {
            return await live.Events.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static SseItem<string> Item(StoredEvent turnEvent) =>
        new(turnEvent.Json, turnEvent.Type) { EventId = turnEvent.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
