using System.Text.Json.Nodes;
using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>A pooled ACP agent asks its client to read a 2 GiB (sparse) file in its own working directory, whole and in parts
/// (<c>specs/security.md</c>, "Hostile agents"). An answer holds at most <c>MaxFileReadBytes</c>: a read that would hold more
/// is refused with -32602 naming the setting as soon as it gets there; lines before a <c>line</c> are scanned, not held, so
/// the file's last line is still reachable; and the service's memory never sees the file. Before the bound, the whole read
/// took the file into one string (about 4 GB for 2 GiB of text, past what a .NET string holds).</summary>
[Collection(HostileVolumeCollection.Name)]
public sealed class AcpFileReadLimitTests
{
    private const int Limit = 1024 * 1024;

    [Fact(Timeout = 180_000)]
    public async Task ReadsOfA2GigabyteFile_AreBoundedByMaxFileReadBytes_AndItsLastLineIsStillReachable()
    {
        // Arrange: a file of three short lines, then 2 GiB of holes (one line of NULs), then a last line.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(Acp, configure: p =>
        {
            (p.Pool.MinReady, p.Pool.MaxReady, p.Pool.MaxProcesses) = (1, 1, 1);
            p.MaxFileReadBytes = Limit;
        });
        var cwd = sim.Catalog.Get(Acp).DefaultWorkingDirectory;
        Directory.CreateDirectory(cwd);
        var big = Path.Combine(cwd, "big.txt");
        WriteSparse(big, "alpha\nbeta\ngamma\n", 2L * 1024 * 1024 * 1024, "\nomega\n");
        var exact = Path.Combine(cwd, "exact.txt");
        File.WriteAllText(exact, new string('a', Limit));
        var over = Path.Combine(cwd, "over.txt");
        File.WriteAllText(over, new string('a', Limit + 1));
        var pools = sim.Pools();
        await pools.WarmAsync(1, cancellationToken);

        // Act
        var probe = MemoryProbe.Start();
        var result = await pools.RunAsync(Acp,
            $"read [[sim-fs:read:{big}]][[sim-fs:read@2+2:{big}]][[sim-fs:read@4+1:{big}]][[sim-fs:read@5+1:{big}]]"
            + $"[[sim-fs:read:{exact}]][[sim-fs:read:{over}]]", "conversation-a", cancellationToken: cancellationToken);
        var (allocated, figures) = (probe.AllocatedBytes, probe.Describe());

        // Assert
        TestContext.Current.TestOutputHelper?.WriteLine($"reads of a 2 GiB file, MaxFileReadBytes {Limit}: {figures}");
        Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Status} {result.Reason}: {result.Message}");
        var reports = result.Text.Split('\n');
        Assert.Equal(Refused(big, "ask for part of it with line and limit."), reports[0]);
        Assert.Equal($"fs:read {big} => ok {Quoted("beta\ngamma")}", reports[1]);
        Assert.Equal(Refused(big, "ask for fewer lines."), reports[2]);
        Assert.Equal($"fs:read {big} => ok {Quoted("omega")}", reports[3]);
        Assert.Equal($"fs:read {exact} => ok {Quoted(new string('a', Limit))}", reports[4]);
        Assert.Equal(Refused(over, "ask for part of it with line and limit."), reports[5]);
        // 2 GiB went through the reader (the last line), 1 MiB was returned (and went back through the agent as text).
        Assert.True(allocated < 64L * 1024 * 1024, $"allocated {allocated} bytes");
    }

    private static string Refused(string path, string advice) =>
        $"fs:read {path} => error -32602 "
        + Quoted($"'{path}': the text asked for is larger than the {Limit} bytes a read may return (MaxFileReadBytes); {advice}");

    /// <summary>As the simulated agent quotes an answer in its report.</summary>
    private static string Quoted(string text) => JsonValue.Create(text).ToJsonString();

    /// <summary>A file of <paramref name="length"/> bytes that takes no room between its head and its tail (truncate -s).</summary>
    private static void WriteSparse(string path, string head, long length, string tail)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.Write(System.Text.Encoding.UTF8.GetBytes(head));
        file.SetLength(length);
        file.Seek(length - tail.Length, SeekOrigin.Begin);
        file.Write(System.Text.Encoding.UTF8.GetBytes(tail));
    }
}
