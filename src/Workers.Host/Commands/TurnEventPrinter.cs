namespace Workers.Host.Commands;

/// <summary>What <c>enqueue</c> and <c>tail</c> print: each event's JSON as received, one line each, to the terminal event.
/// Reconnects are noted on stderr so stdout stays a clean JSON-lines stream.</summary>
internal static class TurnEventPrinter
{
    /// <returns>The exit code for the turn's end.</returns>
    public static async Task<int> PrintAsync(WorkersApiClient client, string turnId, long afterSequence, CancellationToken cancellationToken)
    {
        var terminal = await client.Events.FollowAsync(turnId, afterSequence,
            item => Console.Out.WriteLine(item.Data),
            notice => Console.Error.WriteLine($"workers: {notice}"),
            cancellationToken);
        return ExitCodes.ForTerminalEvent(terminal);
    }
}
