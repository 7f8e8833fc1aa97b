using Microsoft.Extensions.Logging.Abstractions;
using Workers.Isolation;
using Workers.Profiles;

namespace Workers.Tests.Isolation;

/// <summary>The hand-over of a conversation's files on real directories (<c>specs/isolation.md</c>, "Hand-over"): one place at a
/// time, the gate, and the restart after a killed service.</summary>
public sealed class ConversationHandOverTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("workers-handover-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public void FilesFollowTheConversation_FromSlotToRestToAnotherSlot_AndTheFreshHomeIsTheTemplate()
    {
        var handOver = NewHandOver();
        File.WriteAllText(Path.Combine(handOver.Files.HomeTemplate, "settings.json"), "{}");
        var first = handOver.CreateSlot();
        handOver.BringIn(first, "conv");
        File.WriteAllText(Path.Combine(first.Workspace, "note.txt"), "mine");

        handOver.TakeOut(first);
        var second = handOver.CreateSlot();
        handOver.BringIn(second, "conv");

        Assert.False(Directory.Exists(first.Root));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(second.Workspace, "note.txt")));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(second.Home, "settings.json")));
        Assert.False(handOver.HasFilesAtRest("conv"));
        Assert.True(handOver.IsHeld("conv"));
    }

    [Fact]
    public async Task AConversationHeldByOneSlot_CannotBeBroughtIntoAnother_AndItsWaitEndsWhenItIsTakenOut()
    {
        var handOver = NewHandOver();
        var holder = handOver.CreateSlot();
        handOver.BringIn(holder, "conv");
        var other = handOver.CreateSlot();

        var refused = Assert.Throws<ConversationStateUnavailableException>(() => handOver.BringIn(other, "conv"));
        var wait = handOver.WaitAtRestAsync("conv", TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);
        handOver.TakeOut(holder);
        await wait;
        handOver.BringIn(other, "conv");

        Assert.Contains("held by another process", refused.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => handOver.BringIn(other, "another-conversation"));
    }

    [Fact]
    public void Recover_AfterAKilledService_PutsSlotFilesBackAtRest_AndLeavesNoSlotOrTrash()
    {
        var crashed = NewHandOver();
        var held = crashed.CreateSlot();
        crashed.BringIn(held, "conv");
        File.WriteAllText(Path.Combine(held.Home, "session.jsonl"), "turn 1");
        var unowned = crashed.CreateSlot();
        Directory.CreateDirectory(Path.Combine(crashed.Files.TrashRoot, "left-by-a-crash"));

        // The next run's hand-over, over the same directories.
        var restarted = NewHandOver();
        restarted.Recover();

        var key = ConversationFiles.KeyOf("conv");
        Assert.Equal("turn 1", File.ReadAllText(Path.Combine(restarted.Files.HomeAtRest(key), "session.jsonl")));
        Assert.True(Directory.Exists(restarted.Files.WorkspaceAtRest(key)));
        Assert.False(Directory.Exists(unowned.Root));
        Assert.Empty(Directory.EnumerateFileSystemEntries(restarted.Files.SlotsRoot));
        Assert.Empty(Directory.EnumerateFileSystemEntries(restarted.Files.TrashRoot));
        Assert.False(restarted.IsHeld("conv"));
    }

    [Fact]
    public async Task Delete_WaitsForTheHolder_ThenRemovesHomeAndWorkspace()
    {
        var handOver = NewHandOver();
        var slot = handOver.CreateSlot();
        handOver.BringIn(slot, "conv");
        File.WriteAllText(Path.Combine(slot.Workspace, "note.txt"), "mine");

        var deletion = handOver.DeleteAsync("conv", TestContext.Current.CancellationToken);
        Assert.False(deletion.IsCompleted);
        handOver.TakeOut(slot);

        Assert.Equal(2, await deletion);
        var key = ConversationFiles.KeyOf("conv");
        Assert.False(Directory.Exists(handOver.Files.HomeAtRest(key)));
        Assert.False(Directory.Exists(handOver.Files.WorkspaceAtRest(key)));
        Assert.Equal(0, await handOver.DeleteAsync("conv", TestContext.Current.CancellationToken));
    }

    private ConversationHandOver NewHandOver()
    {
        var profile = new ResolvedProfile
        {
            Name = "p", Options = new AgentProfile { Isolation = IsolationMode.Conversation }, Family = "acp-json-rpc",
            HomeDirectory = Directory.CreateDirectory(Path.Combine(_data, "home", "p")).FullName,
            DefaultWorkingDirectory = Directory.CreateDirectory(Path.Combine(_data, "workspaces", "p")).FullName,
            Environment = new Dictionary<string, string>(), Digest = "d", DataDirectory = _data,
        };
        var handOver = new ConversationHandOver(new ConversationFiles(_data, profile), NullLogger.Instance);
        handOver.Files.Prepare();
        return handOver;
    }
}
