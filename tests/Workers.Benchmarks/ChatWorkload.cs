using Workers.Turns;

namespace Workers.Benchmarks;

/// <summary>Several conversations of several turns, started a little apart, each turn sent some "reading time" after
/// the previous answer: how a chat product loads its workers.</summary>
internal sealed record ChatWorkload(int Conversations, int TurnsPerConversation, TimeSpan ArrivalSpacing, TimeSpan ThinkTime)
{
    /// <summary>Runs the workload; <paramref name="runTurn"/> gets the conversation, the turn index and the previous
    /// turn's result (null for the first).</summary>
    public Task<IReadOnlyList<TurnResult>> RunAsync(Func<string, int, TurnResult?, Task<TurnResult>> runTurn) => RunAsync<TurnResult>(runTurn);

    /// <summary>The same workload for a driver that is not a turn runner (the floor of <c>StrategiesBenchmark</c>).</summary>
    public async Task<IReadOnlyList<TResult>> RunAsync<TResult>(Func<string, int, TResult?, Task<TResult>> runTurn)
        where TResult : class
    {
        var results = new List<TResult>();
        var conversations = Enumerable.Range(0, Conversations).Select(async c =>
        {
            await Task.Delay(ArrivalSpacing * c);
            TResult? previous = null;
            var conversation = $"bench-{Guid.NewGuid():N}";
            for (var turn = 0; turn < TurnsPerConversation; turn++)
            {
                previous = await runTurn(conversation, turn, previous);
                lock (results)
                {
                    results.Add(previous);
                }

                await Task.Delay(ThinkTime);
            }
        });
        await Task.WhenAll(conversations);
        return results;
    }

    public static string Prompt(int turn) => $"Turn {turn + 1}: please look at the failing test in src and explain what broke and how to fix it.";
}
