using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Workers.Serialization;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Service;
using Workers.Store;
using Workers.Turns;

namespace Workers.Api;

/// <summary><c>/v1/turns</c>: enqueue, read, stream, its runs, cancel (<c>specs/api.md</c>).</summary>
internal static class TurnsEndpoints
{
    private const int RetryAfterSeconds = 5;

    public static void MapTurns(this IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/turns", EnqueueAsync).WithName("EnqueueTurn");
        api.MapGet("/v1/turns/{id}", GetAsync).WithName("GetTurn");
        api.MapGet("/v1/turns/{id}/events", StreamAsync).WithName("StreamTurnEvents");
        api.MapGet("/v1/turns/{id}/runs", RunsAsync).WithName("ListTurnRuns");
        api.MapPost("/v1/turns/{id}/cancel", CancelAsync).WithName("CancelTurn");
    }

    private static async Task<IResult> EnqueueAsync(HttpRequest request, ITurnStore store, TurnSubmissionValidator validator, Dispatcher dispatcher,
        IOptions<ServiceOptions> options, TimeProvider timeProvider, PoolRegistry pools, CancellationToken cancellationToken)
    {
        TurnSubmission? submission;
        try
        {
            submission = await JsonSerializer.DeserializeAsync<TurnSubmission>(request.Body, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException ex)
        {
            return ApiProblems.BadRequest($"The body is not valid JSON for a turn: {ex.Message}");
        }

        if (submission is null)
        {
            return ApiProblems.BadRequest("The body must be a JSON object.");
        }

        var errors = validator.Validate(submission);
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(errors);
        }

        if (pools.TryGet(submission.Profile!, out var pool) && pool.Availability() is { IsAvailable: false } unavailable)
        {
            return ApiProblems.ProfileUnavailable(pool.Name, unavailable.Reason);
        }

        var canonical = submission with { Id = submission.Id ?? Guid.NewGuid().ToString("N") };
        var payload = canonical.ToCanonicalJson();
        EnqueueOutcome outcome;
        StoredTurn turn;
        try
        {
            // Backpressure before anything new is stored, checked by the store in the inserting transaction; a repeat of an
            // accepted turn is still answered.
            (outcome, turn) = await store.EnqueueAsync(
                new NewTurn(canonical.Id!, canonical.ConversationId!, canonical.Profile!, payload, canonical.IdempotencyHash(),
                    timeProvider.GetUtcNow())
                {
                    QueueLimit = options.Value.MaxQueuedTurns,
                }, cancellationToken);
        }
        catch (QueueFullException full)
        {
            request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(title: "Too many queued turns",
                detail: $"{full.Queued} turns are queued (limit {full.Limit}, Workers:Service:MaxQueuedTurns). Retry later.",
                statusCode: StatusCodes.Status429TooManyRequests);
        }

        if (outcome == EnqueueOutcome.Conflict)
        {
            return ApiProblems.Conflict($"Turn '{turn.Id}' exists with a different body; use a new id for a new turn.");
        }

        dispatcher.Notify();
        var answer = new { id = turn.Id, status = turn.State.ToString().ToLowerInvariant(), eventsUrl = TurnView.EventsUrl(turn.Id) };
        return TypedResults.Accepted($"/v1/turns/{Uri.EscapeDataString(turn.Id)}", answer);
    }

    private static async Task<IResult> GetAsync(string id, ITurnStore store, CancellationToken cancellationToken) =>
        await store.GetTurnAsync(id, cancellationToken) is { } turn
            ? TypedResults.Json(TurnView.From(turn), WorkersJson.Options)
            : ApiProblems.NotFound($"No turn '{id}'.");

    /// <summary>Every attempt of the turn, from the store's runs rows (<c>specs/store.md</c>, "Runs"): what the chaos
    /// invariants (no two attempts of a conversation overlapping, none out of order) are checked on.</summary>
    private static async Task<IResult> RunsAsync(string id, ITurnStore store, CancellationToken cancellationToken)
    {
        if (await store.GetTurnAsync(id, cancellationToken) is null)
        {
            return ApiProblems.NotFound($"No turn '{id}'.");
        }

        var runs = await store.ListRunsAsync(id, cancellationToken);
        return TypedResults.Json(new
        {
            turnId = id,
            runs = runs.Select(r => new { attempt = r.Attempt, owner = r.Owner, startedAt = r.StartedAt, finishedAt = r.FinishedAt, outcome = r.Outcome }),
        }, WorkersJson.Options);
    }

    private static async Task<IResult> StreamAsync(string id, HttpRequest request, ITurnStore store, TurnEventHub hub, TimeProvider timeProvider,
        IOptions<ServiceOptions> options, CancellationToken cancellationToken)
    {
        if (await store.GetTurnAsync(id, cancellationToken) is null)
        {
            return ApiProblems.NotFound($"No turn '{id}'.");
        }

        long after = 0;
        if (request.Headers["Last-Event-ID"].FirstOrDefault() is { } lastEventId && !long.TryParse(lastEventId, out after))
        {
            return ApiProblems.BadRequest($"Last-Event-ID '{lastEventId}' is not an event id of this turn (they are numbers).");
        }

        var stream = new TurnEventStream(store, hub);
        return new ServerSentEventsResult(stream.ReadAsync(id, after, cancellationToken), options.Value.SseKeepAlive, timeProvider);
    }

    private static async Task<IResult> CancelAsync(string id, ITurnStore store, Dispatcher dispatcher, WorkerMetrics metrics, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var turn = await store.GetTurnAsync(id, cancellationToken);
        if (turn is null)
        {
            return ApiProblems.NotFound($"No turn '{id}'.");
        }

        // For a queued turn the store writes this terminal event itself, numbered after the turn's last event.
        var message = "Cancelled by the producer before it ran.";
        var terminal = new TurnCancelled(message) { Sequence = turn.LastEventSequence + 1 };
        var result = JsonSerializer.Serialize(new { turnId = id, status = "cancelled", reason = FailureReasons.Cancelled, message }, WorkersJson.Options);
        var outcome = await store.RequestCancelAsync(id, StoreEventSink.ToStored(terminal, timeProvider.GetUtcNow()), result,
            timeProvider.GetUtcNow(), cancellationToken);
        if (outcome == CancelOutcome.CancelRequested)
        {
            dispatcher.TryCancel(id);
        }
        else if (outcome == CancelOutcome.CancelledQueued)
        {
            // Ended without a run: the dispatcher never sees it, so it is counted here.
            metrics.Turns.WithLabels(turn.Profile, "cancelled", FailureReasons.Cancelled, FailureReasons.OwnerOf(FailureReasons.Cancelled)).Inc();
        }

        return outcome switch
        {
            CancelOutcome.NotFound => ApiProblems.NotFound($"No turn '{id}'."),
            CancelOutcome.AlreadyFinished => TypedResults.Ok(new { id, status = turn.State.ToString().ToLowerInvariant(), cancelled = false }),
            CancelOutcome.CancelledQueued => TypedResults.Ok(new { id, status = "cancelled", cancelled = true }),
            _ => TypedResults.Accepted($"/v1/turns/{Uri.EscapeDataString(id)}", new { id, status = "running", cancelled = true }),
        };
    }
}
