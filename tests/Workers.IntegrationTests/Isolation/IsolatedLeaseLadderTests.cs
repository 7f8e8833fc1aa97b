using Workers.Families;
using Workers.IntegrationTests.Support;
using Workers.Isolation;
using Workers.Pooling;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Isolation;

/// <summary>The lease ladder in conversation isolation: prewarmed, live and resumed rungs are still served, and the
/// conversation's files follow it from process to process (a file the agent wrote in turn 1 is read in turn 3 on another
/// process; a resumed session holds the earlier turns).</summary>
public sealed class IsolatedLeaseLadderTests
{
    private const string Note = "/conversation/workspace/note.txt";

    [Theory(Timeout = 90_000)]
    [InlineData(Acp, StartKinds.Warm)]
    [InlineData(Claude, StartKinds.Cold)]
    public async Task Conversation_IsServedPrewarmedThenLiveThenResumed_AndItsFilesFollowIt(string family, string resumedProcess)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        IsolatedProfile.Add(sim, family, minReady: 1);
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);

        var first = await pools.RunAsync(family, $"one [[sim-io:write:{Note}]]", "conv-1", cancellationToken: cancellationToken);
        var second = await pools.RunAsync(family, "two", "conv-1", cancellationToken: cancellationToken);
        pools.Registry.ForgetConversation("conv-1");
        await Poll.UntilAsync(() => pools[family].ReadyCount >= 1, "a ready process", cancellationToken: cancellationToken);
        // The durable session id stays: the next turn resumes it on another process, with the files brought in.
        var third = await pools.RunAsync(family, $"three [[sim-io:read:{Note}]]", "conv-1", cancellationToken: cancellationToken);

        Assert.True(first.Status == TurnStatus.Succeeded, $"{first.Reason}: {first.Message}");
        Assert.Equal((StartKinds.Warm, StartKinds.Prewarmed), (first.Process, first.Session));
        Assert.Equal((StartKinds.Warm, StartKinds.Live), (second.Process, second.Session));
        Assert.True(third.Status == TurnStatus.Succeeded, $"{third.Reason}: {third.Message}");
        Assert.Equal((resumedProcess, StartKinds.Resumed), (third.Process, third.Session));
        Assert.Equal(first.SessionId, third.SessionId);
        Assert.NotEqual(second.ProcessId, third.ProcessId);
        Assert.True(third.Usage?.CacheReadTokens > 0, "the resumed session did not hold the earlier turns");
        Assert.Equal("ok", IsolatedProfile.Outcomes(third.Text)[$"read {Note}"]);
    }

    [Theory(Timeout = 90_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task RerunAfterACrash_WaitsForTheConversationsFiles_AndFindsThem(string family)
    {
        // The crash-once marker is kept in the agent's HOME: a rerun that started before the crashed process gave the HOME back
        // (or with an empty one) would crash again, and would not find the note.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        IsolatedProfile.Add(sim, family, minReady: 2);
        var pools = sim.Pools();
        await pools.WarmAsync(2, cancellationToken);
        var first = await pools.RunAsync(family, $"hello [[sim-io:write:{Note}]]", "conv", cancellationToken: cancellationToken);
        Assert.True(first.Status == TurnStatus.Succeeded, $"{first.Reason}: {first.Message}");
        TranscriptMessage[] transcript = [new("user", "hello"), new("assistant", first.Text!)];

        var result = await pools.RunAsync(family, $"again [[sim-io:read:{Note}]][[sim:crash-once:mid-stream]]", "conv", transcript: transcript,
            cancellationToken: cancellationToken);

        Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Status} {result.Reason}: {result.Message}");
        Assert.Equal((2, FallbackReasons.RetriedAfterText), (result.Attempts, result.FallbackReason));
        Assert.NotEqual(first.ProcessId, result.ProcessId);
        Assert.Equal("ok", IsolatedProfile.Outcomes(result.Text)[$"read {Note}"]);
    }

    [Theory(Timeout = 90_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task TurnWithoutConversation_RetiresItsProcess_AndLeavesNoFiles(string family)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        IsolatedProfile.Add(sim, family, minReady: 1);
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);
        var pool = pools[family];

        var result = await pools.RunAsync(family, $"once [[sim-io:write:{Note}]]", conversation: null, cancellationToken: cancellationToken);

        Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Reason}: {result.Message}");
        await Poll.UntilAsync(() => pool.Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Isolated) == 1, "the process retired as isolated",
            cancellationToken: cancellationToken);
        var files = IsolatedProfile.Files(sim, family);
        await Poll.UntilAsync(() => !SlotHoldsANote(files), "the turn's slot deleted", cancellationToken: cancellationToken);
        Assert.Empty(Directory.EnumerateFileSystemEntries(files.HomesRoot));
        Assert.Empty(Directory.EnumerateFileSystemEntries(files.WorkspacesRoot));
    }

    [Fact(Timeout = 90_000)]
    public async Task ProcessThatHeldAConversation_IsNeverHandedToAnother_EvenAtCapacity()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        IsolatedProfile.Add(sim, Acp, minReady: 0, p => p.Pool.MaxProcesses = 1);
        var pools = sim.Pools();

        var first = await pools.RunAsync(Acp, "one", "conv-1", cancellationToken: cancellationToken);
        var second = await pools.RunAsync(Acp, "two", "conv-2", cancellationToken: cancellationToken);

        Assert.Equal(TurnStatus.Succeeded, second.Status);
        Assert.NotEqual(first.ProcessId, second.ProcessId);
        Assert.Equal(StartKinds.Cold, second.Process);
        Assert.Equal(1, pools[Acp].Counters.Read().RetiredByReason.GetValueOrDefault(RetireReason.Evicted));
    }

    [Fact(Timeout = 90_000)]
    public async Task NamedWorkingDirectory_IsBoundIntoTheSandboxAtLaunch()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        var shared = Directory.CreateTempSubdirectory("workers-named-cwd-").FullName;
        try
        {
            IsolatedProfile.Add(sim, Acp, minReady: 1, p => p.AllowedWorkingDirectories = [shared]);
            var pools = sim.Pools();
            await pools.WarmAsync(1, cancellationToken);
            var target = Path.Combine(shared, "from-agent.txt");

            var result = await pools.Runner.RunAsync(
                new TurnRequest { Profile = Acp, Prompt = $"named [[sim-io:write:{target}]]", ConversationId = "conv-1", WorkingDirectory = shared },
                new EventCollector(), cancellationToken);

            Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Reason}: {result.Message}");
            Assert.Equal((StartKinds.Cold, FallbackReasons.IsolationNeedsLaunch), (result.Process, result.FallbackReason));
            Assert.Equal("sim-io wrote this", await File.ReadAllTextAsync(target, cancellationToken));
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
        }
    }

    private static bool SlotHoldsANote(ConversationFiles files) =>
        Directory.EnumerateDirectories(files.SlotsRoot).Any(slot => File.Exists(Path.Combine(slot, "conversation", "workspace", "note.txt")));
}
