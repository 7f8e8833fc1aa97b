using System.Text.Json;
using Workers.Store;

namespace Workers.Api;

/// <summary>What <c>GET /v1/turns/{id}</c> answers: the stored turn, and once it ran, its record (outcome and reason,
/// the rung that served it, every timing segment, usage, final text).</summary>
internal static class TurnView
{
    public static Dictionary<string, object?> From(StoredTurn turn)
    {
        var view = new Dictionary<string, object?>
        {
            ["id"] = turn.Id,
            ["conversationId"] = turn.ConversationId,
            ["sequence"] = turn.Sequence,
            ["profile"] = turn.Profile,
            ["status"] = turn.State.ToString().ToLowerInvariant(),
            ["reason"] = turn.Reason,
            ["attempts"] = turn.Attempts,
            ["enqueuedAt"] = turn.EnqueuedAt,
            ["claimedAt"] = turn.ClaimedAt,
            ["finishedAt"] = turn.FinishedAt,
            ["cancelRequested"] = turn.CancelRequested ? true : null,
            ["eventsUrl"] = EventsUrl(turn.Id),
        };
        if (turn.Result is { } result)
        {
            using var record = JsonDocument.Parse(result);
            foreach (var property in record.RootElement.EnumerateObject())
            {
                if (property.Name is not ("turnId" or "profile" or "status" or "reason" or "attempts"))
                {
                    view[property.Name] = property.Value.Clone();
                }
            }
        }

        var metadata = Service.TurnSubmission.FromStored(turn.Payload).Metadata;
        if (metadata is not null)
        {
            view["metadata"] = metadata;
        }

        return view.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
    }

    public static string EventsUrl(string turnId) => $"/v1/turns/{Uri.EscapeDataString(turnId)}/events";
}
