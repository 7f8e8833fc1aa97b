using System.Net;
using System.Net.Http.Json;
using Workers.IntegrationTests.Support;
using static Workers.IntegrationTests.Support.SimFamily;

namespace Workers.IntegrationTests.Service;

/// <summary>A turn's <c>cwd</c> through the real service (issue 12): a symlink leading outside the allowed directories is
/// refused at enqueue without saying where it leads, and a directory swapped for such a symlink after the 202 is caught when
/// the turn is claimed — the turn fails <c>cwd_outside_allowed</c> and no agent runs there (<c>specs/security.md</c>).</summary>
public sealed class WorkingDirectoryTests : IAsyncDisposable
{
    private readonly SimHarness _sim = new();
    private readonly string _outside = Directory.CreateTempSubdirectory("workers-outside-").FullName;
    private readonly string _projects;

    public WorkingDirectoryTests()
    {
        _projects = Directory.CreateDirectory(Path.Combine(_sim.DataDirectory, "projects")).FullName;
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "outside secret");
        _sim.AddProfile(Acp, new Dictionary<string, string> { ["SIM_TOKENS"] = "4" }, name: "sim-acp", configure: p =>
        {
            p.Pool.MinReady = 1;
            p.AllowedWorkingDirectories = [_projects];
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task CwdThroughASymlinkOutside_IsRefusedAtEnqueue_WithoutNamingWhereItLeads()
    {
        var link = Path.Combine(_projects, "escape");
        Directory.CreateSymbolicLink(link, _outside);
        await using var service = await ServiceHarness.StartAsync(_sim);

        using var response = await service.Client.PostAsJsonAsync(
            "/v1/turns", new { conversationId = "c1", profile = "sim-acp", prompt = "hi", cwd = link }, TestContext.Current.CancellationToken);
        var problem = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"cwd\"", problem, StringComparison.Ordinal);
        Assert.Contains(link, problem, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetFileName(_outside), problem, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task CwdSwappedForASymlinkBeforeTheClaim_FailsCwdOutsideAllowed_AndTheAgentWorksInItsRealCwd()
    {
        var work = Directory.CreateDirectory(Path.Combine(_projects, "work")).FullName;
        var moved = work + "-moved";
        var outsideBefore = Directory.GetFileSystemEntries(_outside);
        await using var service = await ServiceHarness.StartAsync(_sim);
        var token = TestContext.Current.CancellationToken;
        await service.WaitForReadyProcessesAsync("sim-acp", 1, token);

        // Arrange: a turn holds the conversation, so the next one is accepted (its cwd checked) but not yet claimed.
        var holding = await EnqueueAsync(service, "c1", "hold [[sim:first-token-ms=60000]]", cwd: null);
        await service.WaitForStatusAsync(holding, "running", token);
        var swapped = await EnqueueAsync(service, "c1", Probe(work), work);

        // Act: the accepted directory becomes a symlink to outside; then the turn is claimed.
        Directory.Move(work, moved);
        Directory.CreateSymbolicLink(work, _outside);
        using var cancel = await service.Client.PostAsync($"/v1/turns/{holding}/cancel", null, token);
        var refused = await service.WaitForEndAsync(swapped, token);

        // Assert: refused at claim, by name, without saying where the link leads; nothing outside was touched.
        Assert.Equal("failed", refused.GetProperty("status").GetString());
        Assert.Equal("cwd_outside_allowed", refused.GetProperty("reason").GetString());
        Assert.DoesNotContain(Path.GetFileName(_outside), refused.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(outsideBefore, Directory.GetFileSystemEntries(_outside));

        // The same agent, in the real directory, reads and writes there.
        var inside = await EnqueueAsync(service, "c2", Probe(moved), moved);
        var succeeded = await service.WaitForEndAsync(inside, token);
        var text = succeeded.GetProperty("text").GetString();
        Assert.Equal("succeeded", succeeded.GetProperty("status").GetString());
        Assert.Contains($"fs:write {moved}/new.txt => ok\n", text, StringComparison.Ordinal);
        Assert.Contains($"fs:read {moved}/new.txt => ok \"written by sim-agent\"", text, StringComparison.Ordinal);
        Assert.Equal(outsideBefore, Directory.GetFileSystemEntries(_outside));
    }

    private static async Task<string> EnqueueAsync(ServiceHarness service, string conversation, string prompt, string? cwd) =>
        (await service.EnqueueAsync(new { conversationId = conversation, profile = "sim-acp", prompt, cwd }, TestContext.Current.CancellationToken))
            .GetProperty("id").GetString()!;

    private static string Probe(string directory) => $"probe [[sim-fs:write:{directory}/new.txt]][[sim-fs:read:{directory}/new.txt]]";

    public async ValueTask DisposeAsync()
    {
        await _sim.DisposeAsync();
        Directory.Delete(_outside, recursive: true);
    }
}
