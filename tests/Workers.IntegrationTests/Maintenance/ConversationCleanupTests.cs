using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Workers.IntegrationTests.Isolation;
using Workers.IntegrationTests.Support;
using Workers.Isolation;
using Workers.Maintenance;
using Workers.Metrics;
using Workers.Pooling;
using Workers.Profiles;
using Workers.Store;

namespace Workers.IntegrationTests.Maintenance;

/// <summary>Cleanup of a conversation's files in conversation isolation (issue 13, item 4), on the whole service with the simulated
/// ACP agent under bubblewrap: <c>DELETE /v1/conversations/{id}</c> and retention leave no file of the conversation anywhere in the
/// data directory, whether its files were at rest or in the slot of the process bound to it, and the other conversation keeps
/// its files; the file sweep removes an orphan past the grace period and the trash's leftovers, and keeps a fresh orphan, a
/// conversation the store knows, a directory a process holds and what is not a conversation's; and it measures the bytes.</summary>
public sealed class ConversationCleanupTests : IAsyncLifetime
{
    private const string Profile = "sim-acp";

    private readonly SimHarness _sim = new();
    private ServiceHarness? _service;

    private ServiceHarness Service => _service!;

    private PoolRegistry Pools => Service.Services.GetRequiredService<PoolRegistry>();

    private ConversationFiles Files => Pools.All.Single().HandOver!.Files;

    public async ValueTask InitializeAsync()
    {
        _sim.AddProfile(SimFamily.Acp, name: Profile, env: new Dictionary<string, string> { ["SIM_TOKENS"] = "2" }, configure: p =>
        {
            p.Isolation = IsolationMode.Conversation;
            p.Pool.MinReady = 1;
            p.Pool.MaxProcesses = 4;
            // What a DELETE waits at most for a process to give the files back.
            p.Pool.LeaseTimeout = TimeSpan.FromSeconds(5);
        });
        _service = await ServiceHarness.StartAsync(_sim, new Dictionary<string, string?>
        {
            // Only the sweep a test asks for (and the one at start, which the tests wait out).
            ["Workers:Maintenance:FileSweepInterval"] = "1.00:00:00",
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        await _sim.DisposeAsync();
    }

    [Fact(Timeout = 90_000)]
    public async Task Delete_OfAConversationWhoseProcessIsBound_LeavesNoFileOfIt_AndTheOtherKeepsItsOwn()
    {
        var ct = TestContext.Current.CancellationToken;
        await RunTurnAsync("conv-a", "a-1", "note-a.txt");
        await RunTurnAsync("conv-b", "b-1", "note-b.txt");
        Assert.True(Pools.All.Single().HandOver!.IsHeld("conv-a"), "conv-a's process is not bound: the test would not delete while bound");

        using var delete = await Service.Client.DeleteAsync("/v1/conversations/conv-a", ct);

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(EverythingOf("conv-a"));
        Assert.Empty(Named("note-a.txt"));
        Assert.Single(Named("note-b.txt"));
        Assert.False(Pools.All.Single().HandOver!.IsHeld("conv-a"));
        // Its turns stay readable; a HOME and a workspace were removed.
        Assert.Single((await Service.Client.GetFromJsonAsync<JsonElement>("/v1/conversations/conv-a/turns", ct)).GetProperty("turns").EnumerateArray());
        Assert.Equal(2, Removed("delete"));
    }

    [Fact(Timeout = 90_000)]
    public async Task Delete_OfAConversationAtRest_LeavesNoFileOfIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await RunTurnAsync("conv-a", "a-1", "note-a.txt");
        var handOver = Pools.All.Single().HandOver!;
        Pools.ForgetConversation("conv-a");
        await Poll.UntilAsync(() => !handOver.IsHeld("conv-a"), "conv-a's files to be back at rest");
        var key = ConversationFiles.KeyOf("conv-a");
        Assert.True(File.Exists(Path.Combine(Files.WorkspaceAtRest(key), "note-a.txt")), "the agent's note is not in the workspace at rest");
        Assert.True(Directory.Exists(Files.HomeAtRest(key)));

        using var delete = await Service.Client.DeleteAsync("/v1/conversations/conv-a", ct);
        using var again = await Service.Client.DeleteAsync("/v1/conversations/conv-a", ct);

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Empty(EverythingOf("conv-a"));
        Assert.Empty(Named("note-a.txt"));
        Assert.Equal(2, Removed("delete"));
    }

    [Fact(Timeout = 90_000)]
    public async Task Delete_DuringATurnThatEndsInTime_WaitsForItsEnd_ThenLeavesNoFileOfIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await Service.EnqueueAsync(new
        {
            id = "a-1",
            conversationId = "conv-a",
            profile = Profile,
            prompt = "slow [[sim-io:write:/conversation/workspace/note-a.txt]][[sim:first-token-ms=1500]]",
        }, ct);
        await Service.WaitForStatusAsync("a-1", "running", ct);

        using var delete = await Service.Client.DeleteAsync("/v1/conversations/conv-a", ct);

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal("succeeded", (await Service.WaitForEndAsync("a-1", ct)).GetProperty("status").GetString());
        Assert.Empty(EverythingOf("conv-a"));
        Assert.Empty(Named("note-a.txt"));
    }

    [Fact(Timeout = 90_000)]
    public async Task Delete_DuringATurnLongerThanLeaseTimeout_Answers503AndDeletesNothing_ThenAfterItsEndDeletesAll()
    {
        var ct = TestContext.Current.CancellationToken;
        await Service.EnqueueAsync(new
        {
            id = "a-1",
            conversationId = "conv-a",
            profile = Profile,
            prompt = "long [[sim:first-token-ms=60000]]",
        }, ct);
        var handOver = Pools.All.Single().HandOver!;
        await Poll.UntilAsync(() => handOver.IsHeld("conv-a"), "conv-a's files in the slot of its turn's process");

        using var held = await Service.Client.DeleteAsync("/v1/conversations/conv-a", ct);
        var problem = await held.Content.ReadFromJsonAsync<JsonElement>(ct);
        var stillThere = handOver.IsHeld("conv-a") && IsolatedProfile.SlotHolding(Files, "conv-a") is { } slot && Directory.Exists(slot.Home);
        using var cancel = await Service.Client.PostAsync("/v1/turns/a-1/cancel", null, ct);
        await Service.WaitForEndAsync("a-1", ct);
        using var delete = await Service.Client.DeleteAsync("/v1/conversations/conv-a", ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, held.StatusCode);
        Assert.Equal("conversation_files_held", problem.GetProperty("code").GetString());
        Assert.Equal([Profile], problem.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()));
        Assert.True(stillThere, "the 503 DELETE let the files go");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Empty(EverythingOf("conv-a"));
    }

    [Fact(Timeout = 90_000)]
    public async Task Retention_OfAConversationsLastTurn_LeavesNoFileOfIt_AndKeepsAConversationWithARecentTurn()
    {
        var ct = TestContext.Current.CancellationToken;
        var ended = await RunTurnAsync("conv-a", "a-1", "note-a.txt");
        var cutoff = ended.GetProperty("finishedAt").GetDateTimeOffset().AddMilliseconds(1);
        await RunTurnAsync("conv-b", "b-1", "note-b.txt");
        var sessions = Service.Services.GetRequiredService<Workers.Sessions.IConversationSessionStore>();
        Assert.NotNull(await sessions.GetAsync("conv-a", ct));

        // The retention job's own work, at a cutoff between the two turns' ends instead of now − Retention.
        var result = await Service.Services.GetRequiredService<ConversationRetention>().ApplyAsync(cutoff, ct);

        Assert.Equal(1, result.Turns);
        Assert.Equal(["conv-a"], result.EmptiedConversations);
        Assert.Empty(EverythingOf("conv-a"));
        Assert.Empty(Named("note-a.txt"));
        Assert.Single(Named("note-b.txt"));
        Assert.Null(await sessions.GetAsync("conv-a", ct));
        Assert.NotNull(await sessions.GetAsync("conv-b", ct));
        Assert.Equal(2, Removed("retention"));
    }

    [Fact(Timeout = 90_000)]
    public async Task FileSweep_RemovesOldOrphansAndTrash_KeepsFreshKnownHeldAndForeignDirectories_AndMeasuresBytes()
    {
        var ct = TestContext.Current.CancellationToken;
        var metrics = Service.Services.GetRequiredService<WorkerMetrics>();
        // The sweep at start has measured: from now on only this test sweeps.
        await Poll.UntilAsync(() => metrics.DataBytes.GetAllLabelValues().Any(labels => labels[0] == Profile), "the sweep at start");
        await RunTurnAsync("conv-known", "k-1", "note-k.txt");
        Pools.ForgetConversation("conv-known");
        await Poll.UntilAsync(() => !Pools.All.Single().HandOver!.IsHeld("conv-known"), "conv-known's files to be back at rest");
        // conv-held: bound to its process, and unknown to the store once its turn is deleted (the store alone, not its files).
        await RunTurnAsync("conv-held", "h-1", "note-h.txt");
        await Service.Services.GetRequiredService<ITurnStore>().ApplyRetentionAsync(TimeProvider.System.GetUtcNow().AddMinutes(1), ct);
        await RunTurnAsync("conv-known", "k-2", "note-k2.txt");
        Pools.ForgetConversation("conv-known");
        await Poll.UntilAsync(() => !Pools.All.Single().HandOver!.IsHeld("conv-known"), "conv-known's files to be back at rest again");
        var old = TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-2);
        var oldHome = Orphan(Files.HomeAtRest(ConversationFiles.KeyOf("gone-old")), old);
        var oldWorkspace = Orphan(Files.WorkspaceAtRest(ConversationFiles.KeyOf("gone-old")), old);
        var fresh = Orphan(Files.HomeAtRest(ConversationFiles.KeyOf("gone-fresh")), TimeProvider.System.GetUtcNow().UtcDateTime);
        var foreign = Orphan(Path.Combine(Files.WorkspacesRoot, "operator-notes"), old);
        var held = Orphan(Files.HomeAtRest(ConversationFiles.KeyOf("conv-held")), old);
        var known = Files.HomeAtRest(ConversationFiles.KeyOf("conv-known"));
        Directory.SetLastWriteTimeUtc(known, old);
        var trash = Orphan(Path.Combine(Files.TrashRoot, "leftover"), old);

        var result = await Service.Services.GetRequiredService<ConversationFileSweep>().SweepAsync(ct);

        Assert.Equal(new FileSweepResult(OrphansRemoved: 2, TrashRemoved: 1, OrphansSkipped: false), result);
        Assert.False(Directory.Exists(oldHome));
        Assert.False(Directory.Exists(oldWorkspace));
        Assert.False(Directory.Exists(trash));
        Assert.True(Directory.Exists(fresh), "a fresh orphan was swept");
        Assert.True(Directory.Exists(foreign), "a directory not named as a conversation was swept");
        Assert.True(Directory.Exists(held), "a directory whose conversation a process holds was swept");
        Assert.True(Directory.Exists(known), "a conversation the store knows was swept");
        Assert.Equal(2, Removed("orphan"));
        Assert.Equal(1, metrics.TrashEntriesRemoved.Value);
        // The bytes of the files: the notes ("sim-io wrote this", 17 bytes each) and the orphans' one file each.
        Assert.True(metrics.DataBytes.WithLabels(Profile, "workspaces").Value >= 2 * 17, "the workspaces' bytes were not measured");
        Assert.True(metrics.DataBytes.WithLabels(Profile, "slots").Value >= 17, "the bound process's slot holds conv-held's note");
        Assert.True(metrics.DataBytes.WithLabels(Profile, "homes").Value > 0);
        var scrape = await Service.Client.GetStringAsync("/metrics", ct);
        Assert.Matches(@"(?m)^workers_data_volume_free_bytes [1-9]", scrape);
        Assert.Matches(@"(?m)^workers_data_volume_size_bytes [1-9]", scrape);
    }

    private async Task<JsonElement> RunTurnAsync(string conversation, string turn, string note)
    {
        var ct = TestContext.Current.CancellationToken;
        await Service.EnqueueAsync(new
        {
            id = turn,
            conversationId = conversation,
            profile = Profile,
            prompt = $"write [[sim-io:write:/conversation/workspace/{note}]]",
        }, ct);
        var ended = await Service.WaitForEndAsync(turn, ct);
        Assert.True(ended.GetProperty("status").GetString() == "succeeded", $"turn {turn}: {ended}");
        Assert.Contains($"sim-io write /conversation/workspace/{note}: ok", ended.GetProperty("text").GetString(), StringComparison.Ordinal);
        return ended;
    }

    private double Removed(string cause) =>
        Service.Services.GetRequiredService<WorkerMetrics>().ConversationFilesRemoved.WithLabels(Profile, cause).Value;

    private IReadOnlyList<string> EverythingOf(string conversation) => IsolatedProfile.EverythingOf(Files.DataDirectory, conversation);

    private List<string> Named(string name) => [.. Directory.EnumerateFiles(Files.DataDirectory, name, SearchOption.AllDirectories)];

    private static string Orphan(string directory, DateTime lastWrite)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "file"), "x");
        Directory.SetLastWriteTimeUtc(directory, lastWrite);
        return directory;
    }
}
