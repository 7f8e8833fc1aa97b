using Workers.Pooling;
using Workers.Running;
using Workers.Sessions;
using Workers.Turns;

namespace Workers.IntegrationTests.Support;

/// <summary>The pools, session registry and pooled runner of one test.</summary>
public sealed record PoolHarness(PoolRegistry Registry, SessionRegistry Sessions, PooledTurnRunner Runner)
{
    public AgentPool this[string profile] => Registry.TryGet(profile, out var pool) ? pool : throw new KeyNotFoundException(profile);

    /// <summary>Starts every pool and waits until each holds <paramref name="ready"/> ready processes. It polls on the
    /// system clock, so it also works for pools on a fake one (whose own waits advance only when the test moves it).</summary>
    public async Task WarmAsync(int ready, CancellationToken cancellationToken)
    {
        Registry.StartAll();
        foreach (var pool in Registry.All)
        {
            await Poll.UntilAsync(() => pool.ReadyCount >= ready, $"{ready} ready processes in pool {pool.Name}", cancellationToken: cancellationToken);
        }
    }

    public Task<TurnResult> RunAsync(string profile, string prompt, string? conversation = null, EventCollector? events = null,
        IReadOnlyList<TranscriptMessage>? transcript = null, CancellationToken cancellationToken = default) =>
        Runner.RunAsync(new TurnRequest { Profile = profile, Prompt = prompt, ConversationId = conversation, Transcript = transcript },
            events ?? new EventCollector(), cancellationToken);
}
