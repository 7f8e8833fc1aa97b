using System.Net.Http.Json;
using System.Text.Json;
using Workers.IntegrationTests.Support;
using Workers.Profiles;

namespace Workers.IntegrationTests.RealClis;

/// <summary>The real-CLI profiles shipped in <c>appsettings.json</c>: what the end-to-end tests run, and how the service
/// behaves when their commands are missing (the usual case on a machine without the CLIs).</summary>
[Collection(RealClisCollection.Name)]
public sealed class ShippedProfilesTests
{
    [Fact]
    public void ShippedRealProfiles_AreTheOnesTheEndToEndTestsRun()
    {
        var shipped = ShippedProfiles.Load();

        foreach (var cli in RealCli.All)
        {
            var profile = shipped[cli.Profile];
            Assert.Equal((cli.Family, cli.Executable, cli.Resume, cli.ClientFileSystem),
                (profile.Family, profile.Command, profile.Resume, profile.ClientFileSystem));
            Assert.Equal(cli.Args, profile.Args);
            // Which Claude Code an ACP adapter runs is part of the profile: the tests must run the one shipped.
            Assert.Equal(profile.Env.GetValueOrDefault("CLAUDE_CODE_EXECUTABLE"), cli.Env("http://127.0.0.1:1").GetValueOrDefault("CLAUDE_CODE_EXECUTABLE"));
            Assert.Equal(IsolationMode.Conversation, profile.Isolation);
        }

        Assert.All(shipped.Where(p => p.Key.StartsWith("sim-", StringComparison.Ordinal)), p => Assert.Equal(IsolationMode.Profile, p.Value.Isolation));
    }

    [Fact(Timeout = 60_000)]
    public async Task ShippedProfilesWithoutTheirCommands_AreListedUnavailable_TheirTurnsFailAtOnce_OthersStillRun()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = new SimHarness();
        sim.AddProfile(SimFamily.Acp, name: "sim-acp", configure: p => p.Pool.MinReady = 1);
        var empty = Directory.CreateDirectory(Path.Combine(sim.DataDirectory, "empty-path")).FullName;
        var shipped = ShippedProfiles.Load().Where(p => !p.Key.StartsWith("sim-", StringComparison.Ordinal)).ToList();
        await using var service = await ServiceHarness.StartAsync(sim, configure: options =>
        {
            foreach (var (name, profile) in shipped)
            {
                // Nothing on this PATH: the command is not found, as on a machine without the CLI.
                profile.Env["PATH"] = empty;
                profile.Env[ProcessLeaks.MarkerVariable] = sim.Marker;
                options.Profiles[name] = profile;
            }
        });

        var pools = await service.Client.GetFromJsonAsync<JsonElement>("/v1/pools", ct);
        var byName = pools.GetProperty("pools").EnumerateArray().ToDictionary(p => p.GetProperty("profile").GetString()!);
        var failed = await service.WaitForEndAsync((await service.EnqueueAsync(new { conversationId = "c1", profile = "claude", prompt = "hi" }, ct))
            .GetProperty("id").GetString()!, ct, TimeSpan.FromSeconds(20));
        var ok = await service.WaitForEndAsync((await service.EnqueueAsync(new { conversationId = "c2", profile = "sim-acp", prompt = "hi" }, ct))
            .GetProperty("id").GetString()!, ct, TimeSpan.FromSeconds(20));

        Assert.Equal(6, shipped.Count);
        foreach (var (name, _) in shipped)
        {
            Assert.False(byName[name].GetProperty("available").GetBoolean(), name);
            Assert.Contains("not found", byName[name].GetProperty("unavailableReason").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.True(byName["sim-acp"].GetProperty("available").GetBoolean());
        Assert.Equal(("failed", "spawn_failed"), (failed.GetProperty("status").GetString(), failed.GetProperty("reason").GetString()));
        Assert.Contains("ENOENT", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", ok.GetProperty("status").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task ShippedProfilesFoundOnPath_AreListedAvailable()
    {
        var ct = TestContext.Current.CancellationToken;
        var installed = RealCli.All.Where(c => c.Path is not null).ToList();
        if (installed.Count == 0)
        {
            Assert.Skip($"No real CLI is installed in {RealCliInstall.BinDirectory}; .ci/prepare.sh installs them.");
        }

        await using var sim = new SimHarness();
        await using var service = await ServiceHarness.StartAsync(sim, configure: options =>
        {
            foreach (var cli in installed)
            {
                var profile = ShippedProfiles.Load()[cli.Profile];
                profile.Env["PATH"] = RealCliInstall.ChildPath;
                profile.Env[ProcessLeaks.MarkerVariable] = sim.Marker;
                // Listed only: no process is started (nothing here may reach a real provider).
                profile.Pool.MinReady = 0;
                profile.Pool.Adaptive.Enabled = false;
                options.Profiles[cli.Profile] = profile;
            }
        });

        var pools = await service.Client.GetFromJsonAsync<JsonElement>("/v1/pools", ct);

        foreach (var cli in installed)
        {
            var pool = pools.GetProperty("pools").EnumerateArray().Single(p => p.GetProperty("profile").GetString() == cli.Profile);
            Assert.True(pool.GetProperty("available").GetBoolean(), cli.Profile);
            Assert.Equal(0, pool.GetProperty("spawned").GetInt64());
        }
    }
}
