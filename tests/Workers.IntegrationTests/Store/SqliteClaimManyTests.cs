using Workers.Store;
using Workers.Store.Sqlite;

namespace Workers.IntegrationTests.Store;

/// <summary><see cref="SqliteTurnStore.ClaimManyAsync"/> on a real SQLite file: in one transaction, the turns that
/// <see cref="ITurnStore.ClaimAsync"/> would claim one after the other, within the worker's capacity.</summary>
public sealed class SqliteClaimManyTests : SqliteStoreTest
{
    [Fact]
    public async Task ClaimMany_TakesTheTurnsInClaimOrder_OnePerConversation_WithinEachProfilesSlots_InOneCommit()
    {
        // Arrange: conversation a has two turns (the second waits for the first); b and d are of profile "small", which has one
        // free slot; c is bound here, so it comes first although it was enqueued last.
        await EnqueueAsync("a1", "a", 1);
        await EnqueueAsync("a2", "a", 2);
        await EnqueueAsync("b1", "b", 3, "small");
        await EnqueueAsync("d1", "d", 4, "small");
        await EnqueueAsync("e1", "e", 5);
        await EnqueueAsync("c1", "c", 6);
        var commits = Store.CommitCount;

        // Act
        var claimed = await Store.ClaimManyAsync(Request(["default", "small"], preferred: ["c"]),
            new ClaimCapacity(10, new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { ["SMALL"] = 1 }), T0, Ct);

        // Assert
        Assert.Equal(["c1", "a1", "b1", "e1"], claimed.Select(c => c.Turn.Id));
        Assert.All(claimed, c => Assert.Equal(("w1", 1), (c.Lease.Owner, c.Turn.Attempts)));
        Assert.Equal(commits + 1, Store.CommitCount);
        // The claims hold: what is left is a2 (behind a1) and d1 once "small" has room again.
        Assert.Null(await Store.ClaimAsync(Request(["default"]), T0, Ct));
        Assert.Equal("d1", (await Store.ClaimAsync(Request(["small"]), T0, Ct))?.Turn.Id);
    }

    [Fact]
    public async Task ClaimMany_StopsAtMaxTurns_AndAnswersEmptyWhenNothingIsClaimable()
    {
        await EnqueueAsync("a1", "a", 1);
        await EnqueueAsync("b1", "b", 2);
        await EnqueueAsync("c1", "c", 3);
        var capacity = new ClaimCapacity(2, new Dictionary<string, int>());

        var first = await Store.ClaimManyAsync(Request(null), capacity, T0, Ct);
        var second = await Store.ClaimManyAsync(Request(null), capacity, T0, Ct);
        var third = await Store.ClaimManyAsync(Request(null), capacity, T0, Ct);

        Assert.Equal(["a1", "b1"], first.Select(c => c.Turn.Id));
        Assert.Equal(["c1"], second.Select(c => c.Turn.Id));
        Assert.Empty(third);
    }

    private static ClaimRequest Request(IReadOnlyCollection<string>? profiles, IReadOnlyCollection<string>? preferred = null) =>
        new("w1", TimeSpan.FromMinutes(1), profiles, preferred ?? [], 3);

    private async Task EnqueueAsync(string id, string conversation, int second, string profile = "default") =>
        Assert.Equal(EnqueueOutcome.Created, (await Store.EnqueueAsync(NewTurn(id, conversation, T0.AddSeconds(second), profile), Ct)).Outcome);
}
