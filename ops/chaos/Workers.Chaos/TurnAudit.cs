using System.Text.Json;

namespace Workers.Chaos;

/// <summary>One attempt of a turn, from <c>GET /v1/turns/{id}/runs</c>.</summary>
internal sealed record RunRow(int Attempt, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Outcome);

/// <summary>What the service holds of one accepted turn once the run is over: its record, its runs, and its events up to
/// the first terminal one plus whatever follows it.</summary>
internal sealed record TurnAudit(AcceptedTurn Turn, int ServiceSequence, string Status, string? Reason, string? Message, int Attempts,
    IReadOnlyList<RunRow> Runs,
    IReadOnlyList<(long Id, string Type, string? Reason)> Terminals, long? TerminalId, int EventsAfterTerminal)
{
    public const long AttemptBlock = 1_000_000;

    public bool IsTerminal => Status is "succeeded" or "failed" or "cancelled";

    /// <summary>Why the turn is not "terminal exactly once" (record terminal, one terminal event in the last attempt's block,
    /// of the record's kind, nothing after it); null when it is.</summary>
    public string? TerminalProblem()
    {
        if (!IsTerminal)
        {
            return $"record is {Status}";
        }

        if (Terminals.Count != 1 || EventsAfterTerminal > 0)
        {
            return $"{Terminals.Count} terminal events, {EventsAfterTerminal} events after the first";
        }

        var (id, type, reason) = Terminals[0];
        var expected = Status switch { "succeeded" => "completed", _ => Status };
        if (type != expected || (Status == "failed" && reason != Reason))
        {
            return $"terminal event {type}/{reason} but record {Status}/{Reason}";
        }

        return (id - 1) / AttemptBlock + 1 == Attempts ? null : $"terminal event {id} is not in attempt {Attempts}'s block";
    }

    public static async Task<TurnAudit> ReadAsync(WorkersClient client, AcceptedTurn turn, CancellationToken cancellationToken)
    {
        var path = $"/v1/turns/{Uri.EscapeDataString(turn.Id)}";
        var record = await client.GetAsync(path, cancellationToken);
        var runs = await client.GetAsync(path + "/runs", cancellationToken);
        var status = record.GetProperty("status").GetString()!;
        var terminals = new List<(long, string, string?)>();
        long? terminalId = null;
        var after = 0;
        if (status is "succeeded" or "failed" or "cancelled")
        {
            var events = await client.ReadEventsAsync(turn.Id, 0, TimeSpan.FromSeconds(10), cancellationToken);
            terminals.AddRange(events.Where(e => e.Type is "completed" or "failed" or "cancelled")
                .Select(e => (e.Id, e.Type, e.Data.TryGetProperty("reason", out var r) ? r.GetString() : null)));
            if (terminals.Count > 0)
            {
                // The stream stops at the first terminal event; anything stored after it shows on a stream resumed there.
                terminalId = terminals[0].Item1;
                after = (await client.ReadEventsAsync(turn.Id, terminalId.Value, TimeSpan.FromSeconds(1), cancellationToken)).Count;
            }
        }

        return new TurnAudit(
            turn,
            record.GetProperty("sequence").GetInt32(),
            status,
            record.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
            record.TryGetProperty("message", out var message) ? message.GetString() : null,
            record.GetProperty("attempts").GetInt32(),
            [.. runs.GetProperty("runs").EnumerateArray().Select(r => new RunRow(
                r.GetProperty("attempt").GetInt32(),
                r.GetProperty("startedAt").GetDateTimeOffset(),
                r.TryGetProperty("finishedAt", out var finished) && finished.ValueKind == JsonValueKind.String ? finished.GetDateTimeOffset() : null,
                r.GetProperty("outcome").GetString()!))],
            terminals,
            terminalId,
            after);
    }
}
