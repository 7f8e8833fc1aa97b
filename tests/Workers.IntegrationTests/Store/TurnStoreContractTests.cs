using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Workers.Sessions;
using Workers.Store;

namespace Workers.IntegrationTests.Store;

/// <summary>The semantics every <see cref="ITurnStore"/> must have (the interface's docs and <c>specs/store.md</c>).
/// A store type gets a derived class that says how to open it; every test runs on fresh, empty storage. One long file on
/// purpose: the contract is one unit that a new store (PostgreSQL) inherits whole.</summary>
/// <remarks>Time is passed explicitly (from <see cref="T0"/>), so lease expiry never waits on the clock. Times are whole
/// milliseconds, the precision every store must keep.</remarks>
public abstract class TurnStoreContractTests : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private readonly List<ITurnStore> _opened = [];
    private ITurnStore? _store;

    /// <summary>The store each test starts with, initialised.</summary>
    protected ITurnStore Store => _store ?? throw new InvalidOperationException("The test has not been initialised.");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Opens a store, not yet initialised, on this test's storage. Every call opens another store on the
    /// same storage (a restarted service, or a second instance).</summary>
    protected abstract Task<ITurnStore> CreateStoreAsync();

    public async ValueTask InitializeAsync() => _store = await OpenStoreAsync();

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await CloseAsync(store);
        }

        _opened.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Opens and initialises another store on this test's storage; disposed with the test.</summary>
    protected async Task<ITurnStore> OpenStoreAsync()
    {
        var store = await CreateStoreAsync();
        _opened.Add(store);
        await store.InitializeAsync(Ct);
        return store;
    }

    /// <summary>Disposes <paramref name="store"/> now (as a stopping service would).</summary>
    protected async Task CloseStoreAsync(ITurnStore store)
    {
        _opened.Remove(store);
        await CloseAsync(store);
    }

    // ---- Enqueue -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Enqueue_NewTurns_AreQueuedAndNumberedPerConversation()
    {
        var a1 = await EnqueueAsync("a1", "a", T0, payload: """{"prompt":"one"}""");
        var a2 = await EnqueueAsync("a2", "a", T0.AddSeconds(1));
        var b1 = await EnqueueAsync("b1", "b", T0.AddSeconds(2), profile: "other");

        Assert.Equal([1L, 2L, 1L], [a1.Sequence, a2.Sequence, b1.Sequence]);
        Assert.Equal(TurnState.Queued, a1.State);
        Assert.Equal(0, a1.Attempts);
        Assert.Equal(0, a1.Fencing);
        Assert.Equal(0, a1.LastEventSequence);
        Assert.Null(a1.LeaseOwner);
        Assert.Null(a1.LeaseExpiresAt);
        Assert.False(a1.CancelRequested);
        Assert.Equal("""{"prompt":"one"}""", a1.Payload);
        Assert.Equal(Hash("""{"prompt":"one"}"""), a1.PayloadHash);
        Assert.Equal(T0, a1.EnqueuedAt);
        Assert.Equal("other", b1.Profile);
        Assert.Equal(a1, await Store.GetTurnAsync("a1", Ct));
        Assert.Null(await Store.GetTurnAsync("nope", Ct));
        Assert.Equal(["a1", "a2"], (await Store.ListConversationAsync("a", Ct)).Select(t => t.Id));
        Assert.Empty(await Store.ListConversationAsync("nope", Ct));
    }

    [Fact]
    public async Task Enqueue_SameIdAndSameHash_ReturnsExistingTurn()
    {
        var first = await EnqueueAsync("a1", "a");

        var (outcome, turn) = await Store.EnqueueAsync(NewTurn("a1", "a", T0.AddSeconds(5)), Ct);

        Assert.Equal(EnqueueOutcome.Existing, outcome);
        Assert.Equal(first, turn);
        Assert.Single(await Store.ListConversationAsync("a", Ct));
    }

    [Fact]
    public async Task Enqueue_SameIdOtherHash_ReturnsConflictWithStoredTurn()
    {
        var first = await EnqueueAsync("a1", "a", payload: """{"prompt":"one"}""");

        var (outcome, turn) = await Store.EnqueueAsync(NewTurn("a1", "a", T0, payload: """{"prompt":"two"}"""), Ct);

        Assert.Equal(EnqueueOutcome.Conflict, outcome);
        Assert.Equal(first, turn);
        Assert.Equal(first, await Store.GetTurnAsync("a1", Ct));
    }

    [Fact]
    public async Task Enqueue_WithAQueueLimit_RefusesAtTheLimitStoringNothing_AnswersARepeat_AndCountsEveryWayOutOfTheQueue()
    {
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await EnqueueAsync("c1", "c", T0.AddSeconds(2));

        var full = await Assert.ThrowsAsync<QueueFullException>(() => Store.EnqueueAsync(NewTurn("d1", "d", T0) with { QueueLimit = 3 }, Ct));
        var (repeat, _) = await Store.EnqueueAsync(NewTurn("a1", "a", T0) with { QueueLimit = 3 }, Ct);
        var claimed = (await ClaimAsync(T0))!;                                      // a1 leaves the queue by its claim
        await Store.RequestCancelAsync("b1", CancelledEvent(T0), CancelledResult, T0, Ct); // b1 by a cancel
        await CompleteAsync(claimed, T0.AddSeconds(1));                             // (a running turn's end changes nothing)
        var (afterTwoLeft, _) = await Store.EnqueueAsync(NewTurn("d1", "d", T0) with { QueueLimit = 3 }, Ct);
        var (third, _) = await Store.EnqueueAsync(NewTurn("e1", "e", T0) with { QueueLimit = 3 }, Ct);
        var again = await Assert.ThrowsAsync<QueueFullException>(() => Store.EnqueueAsync(NewTurn("f1", "f", T0) with { QueueLimit = 3 }, Ct));

        Assert.Equal((3L, 3), (full.Queued, full.Limit));
        Assert.Null(await Store.GetTurnAsync("f1", Ct));
        Assert.Equal(EnqueueOutcome.Existing, repeat);
        Assert.Equal((EnqueueOutcome.Created, EnqueueOutcome.Created), (afterTwoLeft, third));
        Assert.Equal(3L, again.Queued);
        Assert.Equal(3L, (await Store.GetQueueStatsAsync(Ct)).Queued);
    }

    [Fact(Timeout = 120_000)]
    public async Task ConcurrentProducersOnTwoStores_WithAQueueLimit_AdmitExactlyTheLimit()
    {
        const int Producers = 16, TurnsPerProducer = 20, Limit = 50;
        var ct = TestContext.Current.CancellationToken;
        var stores = new[] { Store, await OpenStoreAsync() };
        var created = 0;
        var refused = 0;

        await Task.WhenAll(Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < TurnsPerProducer; i++)
            {
                try
                {
                    await stores[p % 2].EnqueueAsync(NewTurn($"p{p}-{i}", $"c{p}", T0) with { QueueLimit = Limit }, ct);
                    Interlocked.Increment(ref created);
                }
                catch (QueueFullException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }, ct)));

        Assert.Equal((Limit, Producers * TurnsPerProducer - Limit), (created, refused));
        Assert.Equal(Limit, (await Store.GetQueueStatsAsync(ct)).Queued);
    }

    [Fact]
    public async Task TurnState_FollowsTheTurn_AndIsNullForAnUnknownOne()
    {
        await EnqueueAsync("a1", "a");
        var queued = await Store.GetTurnStateAsync("a1", Ct);
        var claimed = (await ClaimAsync(T0))!;
        var running = await Store.GetTurnStateAsync("a1", Ct);
        await CompleteAsync(claimed, T0.AddSeconds(1), TurnState.Failed, "agent_error");

        Assert.Equal((TurnState.Queued, TurnState.Running), (queued, running));
        Assert.Equal(TurnState.Failed, await Store.GetTurnStateAsync("a1", Ct));
        Assert.Null(await Store.GetTurnStateAsync("nope", Ct));
    }

    // ---- Claim order ---------------------------------------------------------------------------------------------

    [Fact]
    public async Task Claim_ConversationHasRunningTurn_TakesAnotherConversationOrNull()
    {
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("a2", "a", T0);
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        var now = T0.AddMinutes(1);

        var first = await ClaimAsync(now, "w1");
        var second = await ClaimAsync(now, "w2");
        var third = await ClaimAsync(now, "w3");

        Assert.NotNull(first);
        Assert.Equal("a1", first.Turn.Id);
        Assert.Equal(TurnState.Running, first.Turn.State);
        Assert.Equal(1, first.Turn.Attempts);
        Assert.Equal(1, first.Turn.Fencing);
        Assert.Equal("w1", first.Turn.LeaseOwner);
        Assert.Equal(now + Lease, first.Turn.LeaseExpiresAt);
        Assert.Equal(now, first.Turn.ClaimedAt);
        Assert.Equal(new TurnLease("a1", "w1", 1), first.Lease);
        Assert.Equal("b1", second?.Turn.Id);
        Assert.Null(third);

        await CompleteAsync(first, now.AddSeconds(1));
        Assert.Equal("a2", (await ClaimAsync(now.AddSeconds(1)))?.Turn.Id);
    }

    [Fact]
    public async Task Claim_SeveralConversations_OldestEnqueuedFirstThenInsertionOrder()
    {
        await EnqueueAsync("x", "x", T0.AddSeconds(2));
        await EnqueueAsync("y", "y", T0.AddSeconds(1));
        await EnqueueAsync("z", "z", T0.AddSeconds(1));
        var now = T0.AddMinutes(1);

        var order = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            order.Add((await ClaimAsync(now))?.Turn.Id);
        }

        Assert.Equal(["y", "z", "x", null], order);
    }

    [Fact]
    public async Task Claim_AfterFailedOrCancelledTurn_NextTurnOfConversationIsClaimable()
    {
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("a2", "a", T0.AddSeconds(1));
        await EnqueueAsync("b1", "b", T0.AddSeconds(2));
        await EnqueueAsync("b2", "b", T0.AddSeconds(3));
        var now = T0.AddMinutes(1);
        Assert.Equal(CancelOutcome.CancelledQueued, await Store.RequestCancelAsync("b1", CancelledEvent(now), CancelledResult, now, Ct));

        var a1 = await ClaimAsync(now);
        Assert.Equal("a1", a1?.Turn.Id);
        await CompleteAsync(a1!, now, TurnState.Failed, "agent_error");

        Assert.Equal("a2", (await ClaimAsync(now))?.Turn.Id);
        Assert.Equal("b2", (await ClaimAsync(now))?.Turn.Id);
        Assert.Null(await ClaimAsync(now));
    }

    [Fact]
    public async Task Claim_PreferredConversations_TakenFirst()
    {
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await EnqueueAsync("c1", "c", T0.AddSeconds(2));
        var now = T0.AddMinutes(1);

        Assert.Equal("c1", (await ClaimAsync(now, preferred: ["c", "nope"]))?.Turn.Id);
        Assert.Equal("a1", (await ClaimAsync(now, preferred: ["nope"]))?.Turn.Id);
        Assert.Equal("b1", (await ClaimAsync(now, preferred: ["a", "c"]))?.Turn.Id);
    }

    [Fact]
    public async Task Claim_ProfileFilter_TakesOnlyListedProfiles()
    {
        await EnqueueAsync("a1", "a", T0, profile: "fast");
        await EnqueueAsync("b1", "b", T0.AddSeconds(1), profile: "slow");
        await EnqueueAsync("b2", "b", T0.AddSeconds(2), profile: "fast");
        var now = T0.AddMinutes(1);

        Assert.Equal("b1", (await ClaimAsync(now, profiles: ["slow", "other"]))?.Turn.Id);
        Assert.Null(await ClaimAsync(now, profiles: ["slow"]));
        Assert.Null(await ClaimAsync(now, profiles: []));
        Assert.Equal("a1", (await ClaimAsync(now, profiles: null))?.Turn.Id);
    }

    // ---- Leases --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Renew_HeldLease_ExtendsExpiry()
    {
        await EnqueueAsync("a1", "a");
        var claimed = (await ClaimAsync(T0))!;

        Assert.True(await Store.RenewAsync(claimed.Lease, T0.AddSeconds(50), Ct));

        Assert.Equal(T0.AddSeconds(50), (await Store.GetTurnAsync("a1", Ct))!.LeaseExpiresAt);
        Assert.Null(await ClaimAsync(T0.AddSeconds(40), "w2"));
        Assert.Equal("w2", (await ClaimAsync(T0.AddSeconds(51), "w2"))?.Turn.LeaseOwner);
    }

    [Fact]
    public async Task Renew_LostOrEndedLease_ReturnsFalse()
    {
        await EnqueueAsync("a1", "a");
        var first = (await ClaimAsync(T0, "w1"))!;
        var second = (await ClaimAsync(T0 + Lease + TimeSpan.FromMilliseconds(1), "w2"))!;

        Assert.False(await Store.RenewAsync(first.Lease, T0.AddMinutes(5), Ct));
        Assert.False(await Store.RenewAsync(first.Lease with { Owner = "w2" }, T0.AddMinutes(5), Ct));
        Assert.True(await Store.RenewAsync(second.Lease, T0.AddMinutes(5), Ct));

        await CompleteAsync(second, T0.AddMinutes(2));
        Assert.False(await Store.RenewAsync(second.Lease, T0.AddMinutes(6), Ct));
        Assert.False(await Store.RenewAsync(new TurnLease("nope", "w1", 1), T0.AddMinutes(6), Ct));
    }

    [Fact]
    public async Task Claim_ExpiredLease_ReclaimedAsNextAttemptWithHigherFencing()
    {
        await EnqueueAsync("a1", "a");
        await ClaimAsync(T0, "w1");

        Assert.Null(await ClaimAsync(T0.AddSeconds(29), "w2"));
        Assert.Null(await ClaimAsync(T0 + Lease, "w2"));
        var now = T0 + Lease + TimeSpan.FromMilliseconds(1);
        var again = await ClaimAsync(now, "w2");

        Assert.NotNull(again);
        Assert.Equal(2, again.Turn.Attempts);
        Assert.Equal(2, again.Turn.Fencing);
        Assert.Equal("w2", again.Turn.LeaseOwner);
        Assert.Equal(now + Lease, again.Turn.LeaseExpiresAt);
        Assert.Equal(now, again.Turn.ClaimedAt);
        Assert.Equal(new TurnLease("a1", "w2", 2), again.Lease);
    }

    [Fact]
    public async Task Claim_ExpiredLeaseOfATurnStillRunningHere_IsNotClaimedAgainByThatWorker()
    {
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await ClaimAsync(T0, "w1");
        var expired = T0 + Lease + TimeSpan.FromMilliseconds(1);

        var same = await Store.ClaimAsync(Request("w1") with { RunningHere = ["a1"] }, expired, Ct);
        var other = await ClaimAsync(expired, "w2");

        Assert.Equal("b1", same?.Turn.Id);
        Assert.Equal(("a1", 2, "w2"), (other?.Turn.Id, other?.Turn.Attempts, other?.Turn.LeaseOwner));
    }

    [Fact]
    public async Task TimedWrites_FollowCommitOrder_AClaimIsNeverStampedBeforeTheEndItWaitedBehind()
    {
        // Two workers read their clocks, then wait for the store: the end (read at T0+10 s) commits first, the claim of the
        // conversation's next turn (read earlier, at T0+5 s) after it.
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("a2", "a");
        var first = (await ClaimAsync(T0))!;
        await CompleteAsync(first, T0.AddSeconds(10));

        var second = await ClaimAsync(T0.AddSeconds(5), "w2");

        var ended = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal("a2", second?.Turn.Id);
        Assert.True(second!.Turn.ClaimedAt >= ended.FinishedAt, $"claimed at {second.Turn.ClaimedAt:O}, after an end at {ended.FinishedAt:O}");
        Assert.Equal(second.Turn.ClaimedAt + Lease, second.Turn.LeaseExpiresAt);
    }

    [Fact]
    public async Task Runs_EveryAttemptIsOnRecordFromItsClaim_ALostOneEndingWhenItsLeaseRanOut()
    {
        // Arrange: attempt 1 is lost (its lease runs out), attempt 2 ends the turn; a second turn's attempts are all lost.
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await ClaimAsync(T0, "w1");
        var started = (await Store.ListRunsAsync("a1", Ct)).Single();
        var second = (await ClaimAsync(T0 + Lease + TimeSpan.FromSeconds(1), "w2"))!;
        await CompleteAsync(second, T0.AddMinutes(1));
        await ClaimAsync(T0.AddMinutes(2), "w1", maxAttempts: 1);

        // Act: b1's only attempt is lost past MaxAttempts: the claim fails it worker_lost.
        await ClaimAsync(T0.AddMinutes(2) + Lease + TimeSpan.FromSeconds(1), "w2", maxAttempts: 1);

        // Assert
        Assert.Equal(new RunRecord("a1", 1, "w1", T0, null, RunOutcomes.Running, null), started);
        var a1 = await Store.ListRunsAsync("a1", Ct);
        Assert.Equal((1, "w1", T0, T0 + Lease, RunOutcomes.Lost), (a1[0].Attempt, a1[0].Owner, a1[0].StartedAt, a1[0].FinishedAt, a1[0].Outcome));
        Assert.Null(a1[0].Json);
        Assert.Equal((2, "w2", T0 + Lease + TimeSpan.FromSeconds(1), T0.AddMinutes(1), "done"),
            (a1[1].Attempt, a1[1].Owner, a1[1].StartedAt, a1[1].FinishedAt, a1[1].Outcome));
        var b1 = Assert.Single(await Store.ListRunsAsync("b1", Ct));
        Assert.Equal((RunOutcomes.Lost, T0.AddMinutes(2) + Lease), (b1.Outcome, b1.FinishedAt));
        Assert.Equal(Turns.FailureReasons.WorkerLost, (await Store.GetTurnAsync("b1", Ct))!.Reason);
    }

    [Fact]
    public async Task Claim_AttemptLostAfterAToolUse_FailsWorkerLostAfterToolUse_InsteadOfStartingOver()
    {
        // Arrange: a1's attempt records a tool use and an event, then its worker is lost; a2 waits behind it.
        await EnqueueAsync("a1", "a");
        await EnqueueAsync("a2", "a", T0.AddSeconds(1));
        var lost = (await ClaimAsync(T0, "w1"))!;
        await Store.AppendEventsAsync(lost.Lease, [Event(1, T0)], Ct);
        await Store.MarkToolUseAsync(lost.Lease, Ct);
        await Store.MarkToolUseAsync(lost.Lease, Ct);

        // Act
        var next = await ClaimAsync(T0 + Lease + TimeSpan.FromSeconds(1), "w2");

        // Assert: a1 is not started over but failed, its terminal event after the stored one; the conversation goes on.
        Assert.Equal(("a2", 1), (next?.Turn.Id, next?.Turn.Attempts));
        var a1 = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal((TurnState.Failed, Turns.FailureReasons.WorkerLostAfterToolUse, 1), (a1.State, a1.Reason, a1.Attempts));
        var terminal = (await Store.ReadEventsAsync("a1", 0, 100, Ct))[^1];
        Assert.Equal((2L, "failed"), (terminal.Sequence, terminal.Type));
        Assert.Contains("\"reason\":\"worker_lost_after_tool_use\"", terminal.Json, StringComparison.Ordinal);
        Assert.Equal((1, RunOutcomes.Lost), (await Store.ListRunsAsync("a1", Ct)).Select(r => (r.Attempt, r.Outcome)).Single());
    }

    [Fact]
    public async Task Claim_AttemptLostAfterAToolUse_OfAProfileWithIdempotentTools_StartsOver_AndTheNextAttemptIsJudgedByItsOwnUse()
    {
        await EnqueueAsync("a1", "a", profile: "idempotent");
        var first = (await ClaimAsync(T0, "w1"))!;
        await Store.MarkToolUseAsync(first.Lease, Ct);
        var idempotent = Request("w2") with { IdempotentToolProfiles = ["idempotent"] };

        var second = await Store.ClaimAsync(idempotent, T0 + Lease + TimeSpan.FromSeconds(1), Ct);
        // Attempt 2 uses no tool: when it is lost too, it is started over even for a profile without the setting.
        var third = await ClaimAsync(T0 + (3 * Lease), "w3");

        Assert.Equal(("a1", 2), (second?.Turn.Id, second?.Turn.Attempts));
        Assert.Equal(("a1", 3), (third?.Turn.Id, third?.Turn.Attempts));
    }

    [Fact]
    public async Task MarkToolUse_UnderALostLease_ThrowsLeaseLost()
    {
        await EnqueueAsync("a1", "a");
        var old = (await ClaimAsync(T0, "w1"))!;
        var current = (await ClaimAsync(T0 + Lease + TimeSpan.FromSeconds(1), "w2"))!;

        await Assert.ThrowsAsync<LeaseLostException>(() => Store.MarkToolUseAsync(old.Lease, Ct));

        // The current attempt used no tool: lost in turn, it is started over.
        var third = await ClaimAsync(current.Turn.LeaseExpiresAt!.Value + TimeSpan.FromSeconds(1), "w3");
        Assert.Equal(3, third?.Turn.Attempts);
    }

    [Fact]
    public async Task LostLease_AppendAndComplete_ThrowLeaseLostAndWriteNothing()
    {
        await EnqueueAsync("a1", "a");
        var old = (await ClaimAsync(T0, "w1"))!;
        await Store.AppendEventsAsync(old.Lease, [Event(1, T0)], Ct);
        var now = T0.AddMinutes(1);
        var current = (await ClaimAsync(now, "w2"))!;

        var append = await Assert.ThrowsAsync<LeaseLostException>(() => Store.AppendEventsAsync(old.Lease, [Event(2, now)], Ct));
        var complete = await Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(old, now));

        Assert.Equal("a1", append.TurnId);
        Assert.Equal("a1", complete.TurnId);
        var turn = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal(TurnState.Running, turn.State);
        Assert.Equal("w2", turn.LeaseOwner);
        Assert.Equal(1, turn.LastEventSequence);
        Assert.Null(turn.Result);
        Assert.Equal([1L], (await Store.ReadEventsAsync("a1", 0, 100, Ct)).Select(e => e.Sequence));
        Assert.Equal([(1, RunOutcomes.Lost), (2, RunOutcomes.Running)], (await Store.ListRunsAsync("a1", Ct)).Select(r => (r.Attempt, r.Outcome)));

        // The current owner carries on from the stored sequence.
        await Store.AppendEventsAsync(current.Lease, [Event(2, now)], Ct);
        await CompleteAsync(current with { Turn = turn with { LastEventSequence = 2 } }, now.AddSeconds(1));
        Assert.Equal([(1, RunOutcomes.Lost), (2, "done")], (await Store.ListRunsAsync("a1", Ct)).Select(r => (r.Attempt, r.Outcome)));
        Assert.Equal([1L, 2L, 3L], (await Store.ReadEventsAsync("a1", 0, 100, Ct)).Select(e => e.Sequence));
    }

    [Fact]
    public async Task Claim_ExpiredLeaseOverMaxAttempts_FailsWorkerLostAndClaimsNextTurn()
    {
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("a2", "a", T0.AddSeconds(1));
        var first = (await ClaimAsync(T0, "w1", maxAttempts: 2))!;
        await Store.AppendEventsAsync(first.Lease, [Event(1, T0)], Ct);
        var second = (await ClaimAsync(T0.AddMinutes(1), "w2", maxAttempts: 2))!;
        Assert.Equal(("a1", 2), (second.Turn.Id, second.Turn.Attempts));
        var now = T0.AddMinutes(2);

        var next = await ClaimAsync(now, "w3", maxAttempts: 2);

        Assert.Equal("a2", next?.Turn.Id);
        var lost = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal(TurnState.Failed, lost.State);
        Assert.Equal("worker_lost", lost.Reason);
        Assert.Equal(2, lost.Attempts);
        Assert.Equal(now, lost.FinishedAt);
        Assert.Null(lost.LeaseOwner);
        Assert.Null(lost.LeaseExpiresAt);
        Assert.Equal(2, lost.LastEventSequence);
        using (var result = JsonDocument.Parse(lost.Result!))
        {
            Assert.Equal("failed", result.RootElement.GetProperty("status").GetString());
            Assert.Equal("worker_lost", result.RootElement.GetProperty("reason").GetString());
            Assert.False(string.IsNullOrEmpty(result.RootElement.GetProperty("message").GetString()));
        }

        var terminal = (await Store.ReadEventsAsync("a1", 1, 100, Ct)).Single();
        Assert.Equal(2, terminal.Sequence);
        Assert.Equal("failed", terminal.Type);
        Assert.True(terminal.IsTerminal);
        using (var json = JsonDocument.Parse(terminal.Json))
        {
            Assert.Equal("failed", json.RootElement.GetProperty("type").GetString());
            Assert.Equal("worker_lost", json.RootElement.GetProperty("reason").GetString());
            Assert.Equal(2, json.RootElement.GetProperty("sequence").GetInt64());
        }

        await Assert.ThrowsAsync<LeaseLostException>(() => CompleteAsync(second, now));
    }

    [Fact]
    public async Task ExpireLeases_ForOwnerOrAll_MakesRunningTurnsClaimableAtOnce()
    {
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("b1", "b", T0.AddSeconds(1));
        await EnqueueAsync("c1", "c", T0.AddSeconds(2));
        await ClaimAsync(T0, "w1");
        await ClaimAsync(T0, "w2");
        var now = T0.AddSeconds(5);

        Assert.Equal(1, await Store.ExpireLeasesAsync("w1", now, Ct));
        var retaken = await ClaimAsync(now, "w1b");
        Assert.Equal(("a1", 2, 2L), (retaken?.Turn.Id, retaken?.Turn.Attempts, retaken?.Turn.Fencing));
        Assert.Equal("c1", (await ClaimAsync(now, "w1b"))?.Turn.Id);
        Assert.Null(await ClaimAsync(now, "w1b"));

        Assert.Equal(3, await Store.ExpireLeasesAsync(null, now.AddSeconds(1), Ct));
        Assert.Equal(0, await Store.ExpireLeasesAsync("nope", now.AddSeconds(1), Ct));
        Assert.Equal("a1", (await ClaimAsync(now.AddSeconds(1), "w3"))?.Turn.Id);
    }

    // ---- Events and completion -----------------------------------------------------------------------------------

    [Fact]
    public async Task ReadEvents_AfterSequence_ReturnsOrderedPages()
    {
        await EnqueueAsync("a1", "a");
        var claimed = (await ClaimAsync(T0))!;
        await Store.AppendEventsAsync(claimed.Lease, [Event(2, T0.AddSeconds(2)), Event(1, T0.AddSeconds(1)), Event(3, T0.AddSeconds(3))], Ct);
        await Store.AppendEventsAsync(claimed.Lease, [Event(5, T0.AddSeconds(5)), Event(4, T0.AddSeconds(4))], Ct);

        Assert.Equal([1L, 2L, 3L, 4L, 5L], (await Store.ReadEventsAsync("a1", 0, 100, Ct)).Select(e => e.Sequence));
        Assert.Equal([1L, 2L], (await Store.ReadEventsAsync("a1", 0, 2, Ct)).Select(e => e.Sequence));
        Assert.Equal([3L, 4L], (await Store.ReadEventsAsync("a1", 2, 2, Ct)).Select(e => e.Sequence));
        Assert.Equal([5L], (await Store.ReadEventsAsync("a1", 4, 10, Ct)).Select(e => e.Sequence));
        Assert.Empty(await Store.ReadEventsAsync("a1", 5, 10, Ct));
        Assert.Empty(await Store.ReadEventsAsync("nope", 0, 10, Ct));
        Assert.Equal(Event(3, T0.AddSeconds(3)), (await Store.ReadEventsAsync("a1", 2, 1, Ct)).Single());
        Assert.Equal(5, (await Store.GetTurnAsync("a1", Ct))!.LastEventSequence);
    }

    [Fact]
    public async Task AppendEvents_DuplicateSequence_ThrowsAndWritesNothing()
    {
        await EnqueueAsync("a1", "a");
        var claimed = (await ClaimAsync(T0))!;
        await Store.AppendEventsAsync(claimed.Lease, [Event(1, T0)], Ct);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Store.AppendEventsAsync(claimed.Lease, [Event(2, T0), Event(1, T0)], Ct));

        Assert.IsNotType<LeaseLostException>(ex);
        Assert.Equal([1L], (await Store.ReadEventsAsync("a1", 0, 100, Ct)).Select(e => e.Sequence));
        Assert.Equal(1, (await Store.GetTurnAsync("a1", Ct))!.LastEventSequence);
    }

    [Fact]
    public async Task Complete_UnderLease_EndsTurnWithRecordTerminalEventAndRun()
    {
        await EnqueueAsync("a1", "a");
        var claimed = (await ClaimAsync(T0))!;
        await Store.AppendEventsAsync(claimed.Lease, [Event(1, T0)], Ct);
        var now = T0.AddSeconds(10);
        var terminal = new StoredEvent(2, "completed", """{"type":"completed","text":"hi","sequence":2}""", now);
        var run = new RunRecord("a1", 1, "w1", T0, now, "succeeded", """{"attempt":1}""");

        await Store.CompleteAsync(claimed.Lease, new TurnCompletion(TurnState.Succeeded, null, """{"status":"succeeded"}""", terminal), run, now, Ct);

        var turn = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal(TurnState.Succeeded, turn.State);
        Assert.True(turn.IsTerminal);
        Assert.Null(turn.Reason);
        Assert.Equal("""{"status":"succeeded"}""", turn.Result);
        Assert.Equal(now, turn.FinishedAt);
        Assert.Null(turn.LeaseOwner);
        Assert.Null(turn.LeaseExpiresAt);
        Assert.Equal(2, turn.LastEventSequence);
        Assert.Equal(terminal, (await Store.ReadEventsAsync("a1", 1, 10, Ct)).Single());
        Assert.Equal([run], await Store.ListRunsAsync("a1", Ct));
        Assert.Empty(await Store.ListRunsAsync("nope", Ct));
        await Assert.ThrowsAsync<LeaseLostException>(() => Store.AppendEventsAsync(claimed.Lease, [Event(3, now)], Ct));
    }

    // ---- Cancel --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task RequestCancel_QueuedTurn_CancelsItWithTerminalEvent()
    {
        await EnqueueAsync("a1", "a");
        var now = T0.AddSeconds(3);

        var outcome = await Store.RequestCancelAsync("a1", CancelledEvent(now) with { Sequence = 99 }, CancelledResult, now, Ct);

        Assert.Equal(CancelOutcome.CancelledQueued, outcome);
        var turn = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal(TurnState.Cancelled, turn.State);
        Assert.Equal("cancelled", turn.Reason);
        Assert.Equal(CancelledResult, turn.Result);
        Assert.Equal(now, turn.FinishedAt);
        Assert.Equal(1, turn.LastEventSequence);
        var terminal = (await Store.ReadEventsAsync("a1", 0, 10, Ct)).Single();
        Assert.Equal(CancelledEvent(now) with { Sequence = 1 }, terminal);
        Assert.Null(await ClaimAsync(now));
    }

    [Fact]
    public async Task RequestCancel_RunningTurn_FlagsItForItsWorker()
    {
        await EnqueueAsync("a1", "a");
        var claimed = (await ClaimAsync(T0))!;

        var outcome = await Store.RequestCancelAsync("a1", CancelledEvent(T0), CancelledResult, T0.AddSeconds(1), Ct);

        Assert.Equal(CancelOutcome.CancelRequested, outcome);
        var turn = (await Store.GetTurnAsync("a1", Ct))!;
        Assert.Equal(TurnState.Running, turn.State);
        Assert.True(turn.CancelRequested);
        Assert.Equal(0, turn.LastEventSequence);
        Assert.Empty(await Store.ReadEventsAsync("a1", 0, 10, Ct));

        await CompleteAsync(claimed, T0.AddSeconds(2), TurnState.Cancelled, "cancelled");
        Assert.Equal(TurnState.Cancelled, (await Store.GetTurnAsync("a1", Ct))!.State);
    }

    [Fact]
    public async Task RequestCancel_FinishedOrUnknownTurn_ChangesNothing()
    {
        await EnqueueAsync("a1", "a");
        await CompleteAsync((await ClaimAsync(T0))!, T0.AddSeconds(1));
        var before = await Store.GetTurnAsync("a1", Ct);

        Assert.Equal(CancelOutcome.AlreadyFinished, await Store.RequestCancelAsync("a1", CancelledEvent(T0), CancelledResult, T0.AddSeconds(2), Ct));
        Assert.Equal(CancelOutcome.NotFound, await Store.RequestCancelAsync("nope", CancelledEvent(T0), CancelledResult, T0.AddSeconds(2), Ct));

        Assert.Equal(before, await Store.GetTurnAsync("a1", Ct));
        Assert.Null(await Store.GetTurnAsync("nope", Ct));
    }

    // ---- Durability, retention, stats ----------------------------------------------------------------------------

    [Fact]
    public async Task Reopen_QueueAndLeasesSurvive()
    {
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("a2", "a", T0.AddSeconds(1));
        await EnqueueAsync("b1", "b", T0.AddSeconds(2));
        await EnqueueAsync("c1", "c", T0.AddSeconds(3));
        var claimed = (await ClaimAsync(T0))!;
        await Store.AppendEventsAsync(claimed.Lease, [Event(1, T0)], Ct);
        claimed = claimed with { Turn = claimed.Turn with { LastEventSequence = 1 } };
        var before = await Store.ListConversationAsync("a", Ct);

        await CloseStoreAsync(Store);
        var reopened = await OpenStoreAsync();

        Assert.Equal(before, await reopened.ListConversationAsync("a", Ct));
        Assert.Equal([1L], (await reopened.ReadEventsAsync("a1", 0, 10, Ct)).Select(e => e.Sequence));
        Assert.Equal("b1", (await reopened.ClaimAsync(Request(), T0.AddSeconds(5), Ct))?.Turn.Id);
        await reopened.CompleteAsync(claimed.Lease, Completion(claimed, T0.AddSeconds(5)), Run(claimed, T0.AddSeconds(5)), T0.AddSeconds(5), Ct);
        Assert.Equal("a2", (await reopened.ClaimAsync(Request(), T0.AddSeconds(6), Ct))?.Turn.Id);
        Assert.Equal("c1", (await reopened.ClaimAsync(Request(), T0.AddSeconds(6), Ct))?.Turn.Id);
    }

    [Fact]
    public async Task SecondStore_OnSameStorage_SharesTheQueue()
    {
        var other = await OpenStoreAsync();
        await EnqueueAsync("a1", "a");

        var claimed = await other.ClaimAsync(Request("w2"), T0, Ct);
        Assert.Equal("a1", claimed?.Turn.Id);
        Assert.Null(await Store.ClaimAsync(Request("w1"), T0, Ct));
        await other.CompleteAsync(claimed!.Lease, Completion(claimed, T0.AddSeconds(1)), Run(claimed, T0.AddSeconds(1)), T0.AddSeconds(1), Ct);

        Assert.Equal(TurnState.Succeeded, (await Store.GetTurnAsync("a1", Ct))!.State);
    }

    [Fact]
    public async Task ApplyRetention_DeletesOnlyOldTerminalTurnsWithTheirEventsAndRuns()
    {
        await EnqueueAsync("old-done", "a", T0);
        await EnqueueAsync("new-done", "a", T0.AddSeconds(1));
        await EnqueueAsync("old-cancelled", "b", T0.AddSeconds(2));
        await EnqueueAsync("running", "c", T0.AddSeconds(3));
        await EnqueueAsync("queued", "d", T0.AddSeconds(4));
        await CompleteAsync((await ClaimAsync(T0.AddMinutes(1)))!, T0.AddMinutes(1));
        await Store.RequestCancelAsync("old-cancelled", CancelledEvent(T0.AddMinutes(1)), CancelledResult, T0.AddMinutes(1), Ct);
        var running = (await ClaimAsync(T0.AddMinutes(1), preferred: ["c"]))!;
        Assert.Equal("running", running.Turn.Id);
        await Store.AppendEventsAsync(running.Lease, [Event(1, T0.AddMinutes(1))], Ct);
        var newDone = (await ClaimAsync(T0.AddMinutes(9), preferred: ["a"]))!;
        Assert.Equal("new-done", newDone.Turn.Id);
        await CompleteAsync(newDone, T0.AddMinutes(10));

        var deleted = await Store.ApplyRetentionAsync(T0.AddMinutes(5), Ct);

        Assert.Equal(2, deleted.Turns);
        foreach (var gone in new[] { "old-done", "old-cancelled" })
        {
            Assert.Null(await Store.GetTurnAsync(gone, Ct));
            Assert.Empty(await Store.ReadEventsAsync(gone, 0, 10, Ct));
            Assert.Empty(await Store.ListRunsAsync(gone, Ct));
        }

        Assert.Single(await Store.ListRunsAsync("new-done", Ct));
        Assert.Single(await Store.ReadEventsAsync("new-done", 0, 10, Ct));
        Assert.Single(await Store.ReadEventsAsync("running", 0, 10, Ct));
        Assert.Equal(TurnState.Queued, (await Store.GetTurnAsync("queued", Ct))!.State);
        Assert.Equal(0, (await Store.ApplyRetentionAsync(T0.AddMinutes(5), Ct)).Turns);
    }

    [Fact]
    public async Task ApplyRetention_NamesTheConversationsItLeftWithoutATurn_AndListConversationIdsKnowsTheRest()
    {
        // a: both turns old (emptied, across two turns); b: one old, one recent (kept); c: old but queued (kept).
        await EnqueueAsync("a1", "a", T0);
        await EnqueueAsync("a2", "a", T0.AddSeconds(1));
        await EnqueueAsync("b1", "b", T0.AddSeconds(2));
        await EnqueueAsync("b2", "b", T0.AddSeconds(3));
        await EnqueueAsync("c1", "c", T0.AddSeconds(4));
        await CompleteAsync((await ClaimAsync(T0.AddMinutes(1), preferred: ["a"]))!, T0.AddMinutes(1));
        await CompleteAsync((await ClaimAsync(T0.AddMinutes(1), preferred: ["a"]))!, T0.AddMinutes(2));
        await CompleteAsync((await ClaimAsync(T0.AddMinutes(2), preferred: ["b"]))!, T0.AddMinutes(2));
        await CompleteAsync((await ClaimAsync(T0.AddMinutes(9), preferred: ["b"]))!, T0.AddMinutes(10));
        Assert.Equal(["a", "b", "c"], (await Store.ListConversationIdsAsync(Ct)).Order(StringComparer.Ordinal));

        var result = await Store.ApplyRetentionAsync(T0.AddMinutes(5), Ct);

        Assert.Equal(3, result.Turns);
        Assert.Equal(["a"], result.EmptiedConversations);
        Assert.Equal(["b", "c"], (await Store.ListConversationIdsAsync(Ct)).Order(StringComparer.Ordinal));
        Assert.Empty((await Store.ApplyRetentionAsync(T0.AddMinutes(5), Ct)).EmptiedConversations);
    }

    [Fact]
    public async Task GetQueueStats_CountsQueuedAndRunningByProfile()
    {
        var empty = await Store.GetQueueStatsAsync(Ct);
        Assert.Equal((0L, 0L, (DateTimeOffset?)null), (empty.Queued, empty.Running, empty.OldestQueuedAt));
        Assert.Empty(empty.QueuedByProfile);

        await EnqueueAsync("b1", "b", T0, profile: "slow");
        await EnqueueAsync("a1", "a", T0.AddSeconds(1), profile: "fast");
        await EnqueueAsync("c1", "c", T0.AddSeconds(2), profile: "slow");
        await EnqueueAsync("c2", "c", T0.AddSeconds(3), profile: "slow");
        await EnqueueAsync("d1", "d", T0.AddSeconds(4), profile: "fast");
        Assert.Equal("b1", (await ClaimAsync(T0.AddMinutes(1)))?.Turn.Id);
        await Store.RequestCancelAsync("d1", CancelledEvent(T0), CancelledResult, T0.AddMinutes(1), Ct);

        var stats = await Store.GetQueueStatsAsync(Ct);

        Assert.Equal(3, stats.Queued);
        Assert.Equal(1, stats.Running);
        Assert.Equal(T0.AddSeconds(1), stats.OldestQueuedAt);
        Assert.Equal(new Dictionary<string, long> { ["fast"] = 1, ["slow"] = 2 }, stats.QueuedByProfile.ToDictionary());
    }

    [Fact]
    public async Task Ping_OpenStore_ReturnsTrue() => Assert.True(await Store.PingAsync(Ct));

    [Fact]
    public async Task Sessions_SaveGetReplaceForget()
    {
        var session = new ConversationSession("a", "fast", "session-1", "/srv/a", T0);

        Assert.Null(await Store.GetAsync("a", Ct));
        await Store.SaveAsync(session, Ct);
        Assert.Equal(session, await Store.GetAsync("a", Ct));

        var replaced = session with { AgentSessionId = "session-2", WorkingDirectory = "/srv/b", UpdatedAt = T0.AddMinutes(1) };
        await Store.SaveAsync(replaced, Ct);
        Assert.Equal(replaced, await Store.GetAsync("a", Ct));
        Assert.Null(await Store.GetAsync("b", Ct));

        await Store.ForgetAsync("a", Ct);
        await Store.ForgetAsync("a", Ct);
        Assert.Null(await Store.GetAsync("a", Ct));
    }

    // ---- Concurrency ---------------------------------------------------------------------------------------------

    [Fact(Timeout = 120_000)]
    public async Task ConcurrentProducersAndWorkers_EveryTurnSucceedsOnceInConversationOrder()
    {
        // Arrange: 8 producers x 25 turns over 10 conversations; 4 workers, two of them on a second store on the same storage.
        const int Producers = 8, TurnsPerProducer = 25, Conversations = 10, Workers = 4;
        const int Total = Producers * TurnsPerProducer;
        var ct = TestContext.Current.CancellationToken;
        var stores = new[] { Store, await OpenStoreAsync() };
        var now = T0.AddHours(1); // one instant for every claim: no lease expires during the test
        var gate = new Lock();
        var running = new Dictionary<string, string>();
        var completionOrder = new Dictionary<string, List<long>>();
        var violations = new List<string>();
        var completed = 0;
        var enqueueClock = 0;

        // Act
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < TurnsPerProducer; i++)
            {
                var n = p * TurnsPerProducer + i;
                var at = T0.AddMilliseconds(Interlocked.Increment(ref enqueueClock));
                var (outcome, _) = await stores[p % 2].EnqueueAsync(NewTurn($"t{n}", $"c{n % Conversations}", at), ct);
                Assert.Equal(EnqueueOutcome.Created, outcome);
            }
        }, ct));
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var store = stores[w % 2];
            var owner = $"w{w}";
            while (Volatile.Read(ref completed) < Total)
            {
                var claimed = await store.ClaimAsync(Request(owner), now, ct);
                if (claimed is null)
                {
                    await Task.Delay(1, ct);
                    continue;
                }

                var conversation = claimed.Turn.ConversationId;
                lock (gate)
                {
                    if (!running.TryAdd(conversation, claimed.Turn.Id))
                    {
                        violations.Add($"{claimed.Turn.Id} claimed while {running[conversation]} of {conversation} was running");
                    }
                }

                await store.AppendEventsAsync(claimed.Lease, [Event(1, now), Event(2, now)], ct);
                Assert.True(await store.RenewAsync(claimed.Lease, now + Lease, ct));

                // Recorded before completing: once the completion commits, the conversation's next turn may be claimed.
                lock (gate)
                {
                    running.Remove(conversation);
                    if (!completionOrder.TryGetValue(conversation, out var order))
                    {
                        completionOrder[conversation] = order = [];
                    }

                    order.Add(claimed.Turn.Sequence);
                }

                var done = claimed with { Turn = claimed.Turn with { LastEventSequence = 2 } };
                await store.CompleteAsync(claimed.Lease, Completion(done, now), Run(done, now), now, ct);
                Interlocked.Increment(ref completed);
            }
        }, ct));
        await Task.WhenAll(producers.Concat(workers));

        // Assert
        Assert.Empty(violations);
        Assert.Equal(Total, completed);
        var turns = new List<StoredTurn>();
        for (var c = 0; c < Conversations; c++)
        {
            var conversation = await Store.ListConversationAsync($"c{c}", ct);
            Assert.Equal(Enumerable.Range(1, conversation.Count).Select(s => (long)s), conversation.Select(t => t.Sequence));
            Assert.Equal(conversation.Select(t => t.Sequence), completionOrder[$"c{c}"]);
            turns.AddRange(conversation);
        }

        Assert.Equal(Total, turns.Count);
        Assert.All(turns, t => Assert.Equal((TurnState.Succeeded, 1, 3L), (t.State, t.Attempts, t.LastEventSequence)));
        foreach (var turn in turns)
        {
            Assert.Single(await Store.ListRunsAsync(turn.Id, ct));
        }

        var stats = await Store.GetQueueStatsAsync(ct);
        Assert.Equal((0L, 0L), (stats.Queued, stats.Running));
    }

    // ---- Helpers -------------------------------------------------------------------------------------------------

    protected const string CancelledResult = """{"status":"cancelled","reason":"cancelled"}""";

    protected static string Hash(string payload) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));

    protected static NewTurn NewTurn(string id, string conversation, DateTimeOffset at, string profile = "default", string payload = "{}") =>
        new(id, conversation, profile, payload, Hash(payload), at);

    protected async Task<StoredTurn> EnqueueAsync(string id, string conversation, DateTimeOffset? at = null, string profile = "default",
        string payload = "{}")
    {
        var (outcome, turn) = await Store.EnqueueAsync(NewTurn(id, conversation, at ?? T0, profile, payload), Ct);
        Assert.Equal(EnqueueOutcome.Created, outcome);
        return turn;
    }

    protected static ClaimRequest Request(string owner = "w1", IReadOnlyCollection<string>? profiles = null,
        IReadOnlyCollection<string>? preferred = null, int maxAttempts = 3) =>
        new(owner, Lease, profiles, preferred ?? [], maxAttempts);

    protected Task<ClaimedTurn?> ClaimAsync(DateTimeOffset now, string owner = "w1", IReadOnlyCollection<string>? profiles = null,
        IReadOnlyCollection<string>? preferred = null, int maxAttempts = 3) =>
        Store.ClaimAsync(Request(owner, profiles, preferred, maxAttempts), now, Ct);

    protected static StoredEvent Event(long sequence, DateTimeOffset at) =>
        new(sequence, "text_delta", $$"""{"type":"text_delta","text":"x","sequence":{{sequence}}}""", at);

    protected static StoredEvent CancelledEvent(DateTimeOffset at) => new(1, "cancelled", """{"type":"cancelled","sequence":1}""", at);

    /// <summary>Ends <paramref name="claimed"/> with its terminal event numbered after the turn's last event as claimed.</summary>
    protected Task CompleteAsync(ClaimedTurn claimed, DateTimeOffset now, TurnState state = TurnState.Succeeded, string? reason = null) =>
        Store.CompleteAsync(claimed.Lease, Completion(claimed, now, state, reason), Run(claimed, now), now, Ct);

    protected static TurnCompletion Completion(ClaimedTurn claimed, DateTimeOffset now, TurnState state = TurnState.Succeeded, string? reason = null)
    {
        var type = state switch
        {
            TurnState.Succeeded => "completed",
            TurnState.Cancelled => "cancelled",
            _ => "failed",
        };
        var sequence = claimed.Turn.LastEventSequence + 1;
        return new TurnCompletion(state, reason, $$"""{"status":"{{type}}"}""",
            new StoredEvent(sequence, type, $$"""{"type":"{{type}}","sequence":{{sequence}}}""", now));
    }

    protected static RunRecord Run(ClaimedTurn claimed, DateTimeOffset now) =>
        new(claimed.Turn.Id, claimed.Turn.Attempts, claimed.Lease.Owner, claimed.Turn.ClaimedAt ?? now, now, "done", "{}");

    private static async Task CloseAsync(ITurnStore store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
