namespace Workers.Host.Commands;

/// <summary>How a chat product loads its workers: conversations started a little apart, each a few turns, the next
/// message sent some reading time after the previous answer ended.</summary>
internal sealed record ChatWorkload(int Conversations, int TurnsPerConversation, TimeSpan ArrivalSpacing, TimeSpan ReadingTime)
{
    /// <summary>Runs every conversation; <paramref name="runTurn"/> gets the conversation id, the turn index and the
    /// conversation's turns so far, and returns the finished turn.</summary>
    public async Task<IReadOnlyList<DemoTurn>> RunAsync(string label, Func<string, int, IReadOnlyList<DemoTurn>, Task<DemoTurn>> runTurn,
        CancellationToken cancellationToken)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var conversations = Enumerable.Range(0, Conversations).Select(async c =>
        {
            await Task.Delay(ArrivalSpacing * c, TimeProvider.System, cancellationToken);
            var conversation = $"demo-{label}-{run}-{c + 1}";
            var turns = new List<DemoTurn>();
            for (var turn = 0; turn < TurnsPerConversation; turn++)
            {
                if (turn > 0)
                {
                    await Task.Delay(ReadingTime, TimeProvider.System, cancellationToken);
                }

                turns.Add(await runTurn(conversation, turn, turns));
            }

            return turns;
        });
        return (await Task.WhenAll(conversations)).SelectMany(t => t).ToList();
    }

    public static string Prompt(int turn) => turn switch
    {
        0 => "The build fails in src/Workers.Host: please look at the failing test and explain what broke.",
        _ => $"Follow-up {turn}: thanks. And how would you fix it, in the smallest change?",
    };
}
