using System.Security.Cryptography;
using System.Text;
using Workers.IntegrationTests.Support;
using Workers.Turns;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Hostile;

/// <summary>The simulated agent's <c>[[sim-io:…]]</c> directives, the hostile agent of the isolation tests: the agent process
/// itself reads, writes and lists whatever path it is told, and reports each outcome as an exact line at the start of its reply,
/// in every family. The isolation tests rest on this format (<c>specs/simagent.md</c>), so it is pinned here against a real
/// agent process: an existing file read (its size and SHA-256), a write, a listing and a read of a missing file.</summary>
public sealed class OwnFileOperationTests
{
    private const string Known = "known content\n";

    [Theory(Timeout = 60_000)]
    [InlineData(Claude)]
    [InlineData(Acp)]
    [InlineData(Codex)]
    [InlineData(Plain)]
    public async Task SimIoDirectives_RunInTheAgentProcess_AndReportExactLinesBeforeTheEcho(string family)
    {
        // Arrange
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(family);
        var place = Directory.CreateTempSubdirectory("workers-sim-io-").FullName;
        try
        {
            var known = Path.Combine(place, "known.txt");
            var written = Path.Combine(place, "written.txt");
            var missing = Path.Combine(place, "missing.txt");
            await File.WriteAllTextAsync(known, Known, cancellationToken);
            var events = new EventCollector();
            var prompt = $"probe [[sim-io:read:{known}]][[sim-io:write:{written}]][[sim-io:list:{place}]][[sim-io:read:{missing}]]";

            // Act
            var result = await sim.RunAsync(family, prompt, events, cancellationToken: cancellationToken);

            // Assert
            Assert.True(result.Status == TurnStatus.Succeeded, $"{result.Status} {result.Reason}: {result.Message}");
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Known)));
            var expected =
                $"sim-io read {known}: ok {Encoding.UTF8.GetByteCount(Known)} bytes sha256={sha256}\n"
                + $"sim-io write {written}: ok done\n"
                + $"sim-io list {place}: ok 2 entries: known.txt,written.txt\n"
                + $"sim-io read {missing}: failed FileNotFoundException\n"
                + "Echo: probe lorem ipsum dolor sit amet lorem"
                + (family == Plain ? "\n" : "");
            Assert.Equal(expected, result.Text);
            Assert.Equal(result.Text, string.Concat(events.OfType<TextDelta>().Select(d => d.Text)));
            Assert.Equal("sim-io wrote this", await File.ReadAllTextAsync(written, cancellationToken));
            Assert.False(File.Exists(missing));
        }
        finally
        {
            Directory.Delete(place, recursive: true);
        }
    }
}
