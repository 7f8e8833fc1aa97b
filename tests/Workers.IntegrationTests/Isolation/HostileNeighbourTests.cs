using System.Security.Cryptography;
using Workers.IntegrationTests.Support;
using Workers.Isolation;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Isolation;

/// <summary>Issue 13's hostile neighbour: in conversation isolation, an agent serving conversation A tries, with its own file
/// operations (not <c>fs/*</c>), to read and write conversation B's workspace and HOME (held live by B's process) and C's
/// (at rest), <c>/etc/passwd</c>, the service's data directory and its files, and another sandbox through <c>/proc</c>: every
/// attempt fails and nothing changes; the same agent in its own workspace succeeds.</summary>
public sealed class HostileNeighbourTests
{
    private const string Secret = "/conversation/workspace/secret.txt";
    private const string HomeSecret = "/conversation/home/secret.txt";

    [Theory(Timeout = 90_000)]
    [InlineData(Acp)]
    [InlineData(Claude)]
    public async Task AgentOfOneConversation_CannotReachAnotherConversationOrTheService_ButWorksInItsOwnWorkspace(string family)
    {
        // Arrange: B holds its files in a live process, C's are at rest.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        IsolatedProfile.Add(sim, family, minReady: 2);
        var pools = sim.Pools();
        await pools.WarmAsync(2, cancellationToken);
        foreach (var victim in new[] { "conv-B", "conv-C" })
        {
            var planted = await pools.RunAsync(family, $"plant [[sim-io:write:{Secret}]][[sim-io:write:{HomeSecret}]]", victim,
                cancellationToken: cancellationToken);
            Assert.True(planted.Status == TurnStatus.Succeeded, $"{planted.Reason}: {planted.Message}");
            Assert.All(IsolatedProfile.Outcomes(planted.Text).Values, outcome => Assert.Equal("ok", outcome));
        }

        var pool = pools[family];
        pools.Registry.ForgetConversation("conv-C");
        await Poll.UntilAsync(() => !pool.HandOver!.IsHeld("conv-C"), "conv-C's files back at rest", cancellationToken: cancellationToken);
        var files = IsolatedProfile.Files(sim, family);
        var restC = ConversationFiles.KeyOf("conv-C");
        var liveB = IsolatedProfile.SlotHolding(sim, family, "conv-B") ?? throw new InvalidOperationException("conv-B holds no slot.");
        // conv-B's is the one bound process now (conv-C's was let go): its pid as the host sees it.
        var bProcess = pool.Snapshot().Processes.Single(p => p.Bound).Pid;
        string[] victims =
        [
            Path.Combine(liveB.Workspace, "secret.txt"), Path.Combine(liveB.Home, "secret.txt"),
            Path.Combine(files.WorkspaceAtRest(restC), "secret.txt"), Path.Combine(files.HomeAtRest(restC), "secret.txt"),
        ];
        var before = victims.ToDictionary(path => path, Hash);
        var passwd = Hash("/etc/passwd");
        var dataEntries = Directory.EnumerateFileSystemEntries(sim.DataDirectory).Order().ToList();
        var sessionsFile = Path.Combine(sim.DataDirectory, "sessions.json");
        var hostile = new List<string>();
        foreach (var victim in victims)
        {
            hostile.Add($"read:{victim}");
            hostile.Add($"write:{victim}");
            hostile.Add($"list:{Path.GetDirectoryName(victim)}");
        }

        hostile.AddRange([
            "append:/etc/passwd", "write:/etc/workers-isolation-probe", $"list:{sim.DataDirectory}", $"read:{sessionsFile}",
            $"write:{Path.Combine(sim.DataDirectory, "planted.txt")}", $"list:{files.SlotsRoot}", $"list:{files.HomesRoot}",
            $"read:/proc/{bProcess}/root{Path.Combine(liveB.Workspace, "secret.txt")}", $"list:/proc/{bProcess}/root/tmp",
            $"write:/usr/workers-isolation-probe",
        ]);
        string[] own = ["write:/conversation/workspace/mine.txt", "read:/conversation/workspace/mine.txt", "list:/conversation/workspace",
            "write:/conversation/home/mine.txt", "write:/tmp/scratch.txt", "read:/etc/hostname"];
        var prompt = "probe " + string.Concat(hostile.Concat(own).Select(op => $"[[sim-io:{op}]]"));

        // Act
        var result = await pools.RunAsync(family, prompt, "conv-A", cancellationToken: cancellationToken);

        // Assert
        Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Reason}: {result.Message}");
        var outcomes = IsolatedProfile.Outcomes(result.Text);
        Assert.Equal(hostile.Count + own.Length, outcomes.Count);
        Assert.All(hostile, op => Assert.True(outcomes[Key(op)] == "failed", $"{op} was allowed:\n{result.Text}"));
        Assert.All(own, op => Assert.True(outcomes[Key(op)] == "ok", $"{op} was refused:\n{result.Text}"));
        Assert.All(victims, path => Assert.Equal(before[path], Hash(path)));
        Assert.Equal(passwd, Hash("/etc/passwd"));
        Assert.False(File.Exists("/etc/workers-isolation-probe"));
        Assert.Equal(dataEntries, Directory.EnumerateFileSystemEntries(sim.DataDirectory).Order().ToList());
        var mine = IsolatedProfile.SlotHolding(sim, family, "conv-A") ?? throw new InvalidOperationException("conv-A holds no slot.");
        Assert.Equal("sim-io wrote this", await File.ReadAllTextAsync(Path.Combine(mine.Workspace, "mine.txt"), cancellationToken));
    }

    /// <summary>"read:/x" as the outcome lines name it: "read /x".</summary>
    private static string Key(string operation) => operation[..operation.IndexOf(':', StringComparison.Ordinal)] + " "
        + operation[(operation.IndexOf(':', StringComparison.Ordinal) + 1)..];

    private static string Hash(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
