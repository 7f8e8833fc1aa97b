using System.Text.Json;

namespace Workers.Chaos;

/// <summary>One lane of producer load: conversation after conversation of several turns each, sent in order with the
/// transcript so far. Now and then the next turn is enqueued while the previous one still runs, so the service has a
/// conversation's turns queued behind each other. Every prompt carries <c>chaos-turn:&lt;id&gt;</c>, which the simulated
/// agent's tool log repeats.</summary>
internal sealed class Producer(ChaosOptions options, WorkersClient client, ChaosJournal journal, Random random, string runId)
{
    public const string TurnMarker = "chaos-turn:";
    private static readonly string[] Words = ["status", "build", "deploy", "tests", "logs", "retry", "cache", "index", "queue", "lease"];
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <param name="lane">This producer's number, part of its conversation ids.</param>
    /// <param name="keepGoing">False once the load phase is over: no new turn is started.</param>
    /// <param name="settle">Cancelled when waiting for a turn's end is given up: it then counts as lost.</param>
    public async Task RunAsync(int lane, Func<bool> keepGoing, CancellationToken settle)
    {
        for (var number = 0; keepGoing(); number++)
        {
            await ConversationAsync($"{runId}-c{lane}-{number}", keepGoing, settle);
        }
    }

    private async Task ConversationAsync(string conversationId, Func<bool> keepGoing, CancellationToken settle)
    {
        var transcript = new List<object>();
        var running = new Queue<(string Id, string Text)>();
        for (var sequence = 1; sequence <= options.TurnsPerConversation && keepGoing() && journal.TryReserveTurn(options.MaxTurns); sequence++)
        {
            var id = $"{conversationId}-t{sequence}";
            var usesTool = random.NextDouble() < options.ToolShare;
            var text = $"{TurnMarker}{id} {Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]}";
            var prompt = text + (usesTool ? " [[sim:permission]]" : string.Empty)
                + (options.PromptSuffix.Length > 0 ? " " + options.PromptSuffix : string.Empty);
            await client.EnqueueAsync(new { id, conversationId, profile = options.Profile, prompt, transcript = transcript.ToArray() }, settle);
            journal.Add(new AcceptedTurn(id, conversationId, sequence, usesTool));
            running.Enqueue((id, text));

            // Half the time the next turn goes in while this one runs (it waits behind it in the service's queue).
            var inFlight = random.NextDouble() < 0.5 ? 2 : 1;
            while (running.Count >= inFlight)
            {
                if (!await AwaitAsync(running.Dequeue(), transcript, settle))
                {
                    return;
                }
            }
        }

        while (running.Count > 0)
        {
            if (!await AwaitAsync(running.Dequeue(), transcript, settle))
            {
                return;
            }
        }
    }

    /// <summary>Waits for the turn's end and adds it to the transcript; false when the wait was given up.</summary>
    private async Task<bool> AwaitAsync((string Id, string Text) turn, List<object> transcript, CancellationToken settle)
    {
        try
        {
            while (true)
            {
                if (await client.TryGetAsync($"/v1/turns/{Uri.EscapeDataString(turn.Id)}", settle) is { } record
                    && record.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled")
                {
                    transcript.Add(new { role = "user", text = turn.Text });
                    var said = record.TryGetProperty("text", out var answer) && answer.ValueKind == JsonValueKind.String ? answer.GetString() : null;
                    transcript.Add(new { role = "assistant", text = string.IsNullOrEmpty(said) ? "(no answer)" : said });
                    return true;
                }

                await Task.Delay(PollInterval, settle);
            }
        }
        catch (OperationCanceledException) when (settle.IsCancellationRequested)
        {
            return false;
        }
    }
}
