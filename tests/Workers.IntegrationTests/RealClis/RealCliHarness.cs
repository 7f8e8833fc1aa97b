using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Workers.IntegrationTests.Support;
using Workers.ModelStub;
using Workers.Isolation;
using Workers.Profiles;

namespace Workers.IntegrationTests.RealClis;

/// <summary>One real CLI behind the whole service, pointed at a fresh model stub on 127.0.0.1: the stub, a data directory
/// with the CLI's HOME files written into the profile's HOME, and the service with that one profile. On dispose the
/// service stops and every process the test started (found by the marker in the profile's Env) must be gone.</summary>
public sealed class RealCliHarness : IAsyncDisposable
{
    private RealCliHarness(RealCli cli, ModelStubServer stub, SimHarness sim, ServiceHarness service)
    {
        Cli = cli;
        Stub = stub;
        Sim = sim;
        Service = service;
    }

    public RealCli Cli { get; }

    public ModelStubServer Stub { get; }

    public SimHarness Sim { get; }

    public ServiceHarness Service { get; }

    public string Profile => Cli.Profile;

    /// <summary>The profile's default working directory, where its sessions run (in conversation isolation, the folder of the
    /// conversations' own).</summary>
    public string Workspace => Service.Services.GetRequiredService<ProfileCatalog>().Get(Profile).DefaultWorkingDirectory;

    /// <summary>The default working directory as the agent sees it.</summary>
    public string AgentWorkspace => Service.Services.GetRequiredService<ProfileCatalog>().Get(Profile).AgentWorkingDirectory;

    /// <summary>Where a file the agent wrote in its default working directory is on the host now: in conversation isolation, in
    /// the slot of the process that holds the conversation.</summary>
    public string HostPathOf(string conversation, string agentPath)
    {
        var catalog = Service.Services.GetRequiredService<ProfileCatalog>();
        var profile = catalog.Get(Profile);
        if (profile.Isolation != IsolationMode.Conversation)
        {
            return agentPath;
        }

        var slot = Isolation.IsolatedProfile.SlotHolding(new ConversationFiles(catalog.DataDirectory, profile), conversation)
            ?? throw new InvalidOperationException($"No process holds conversation {conversation}'s files.");
        return Path.Combine(slot.Workspace, Path.GetRelativePath(ProcessSlot.WorkspaceMount, agentPath));
    }

    /// <summary>Skips the test when the CLI is not installed (fails it instead where CI requires the CLI).</summary>
    public static void RequireInstalled(RealCli cli)
    {
        if (cli.Path is not null)
        {
            return;
        }

        var why = $"{cli.Package} ({cli.Executable}) is not installed in {RealCliInstall.BinDirectory}; .ci/prepare.sh installs it " +
            $"(or set {RealCliInstall.DirectoryVariable}).";
        if (cli.RequiredInCi && RealCliInstall.Required)
        {
            Assert.Fail($"Required in CI: {why}");
        }

        Assert.Skip(why);
    }

    public static async Task<RealCliHarness> StartAsync(RealCli cli, int minReady, Action<AgentProfile>? configure = null,
        StubOptions? stubOptions = null)
    {
        RequireInstalled(cli);
        var stub = await ModelStubServer.StartAsync(stubOptions ?? new StubOptions
        {
            FirstTokenDelay = TimeSpan.FromMilliseconds(300),
            Tokens = 8,
            TokenInterval = TimeSpan.FromMilliseconds(10),
        });
        var sim = new SimHarness();
        try
        {
            sim.AddProfile(cli.Family, name: cli.Profile, configure: profile =>
            {
                profile.Command = cli.Executable;
                profile.Args = [.. cli.Args];
                profile.Env = new Dictionary<string, string>(cli.Env(stub.Url))
                {
                    [ProcessLeaks.MarkerVariable] = sim.Marker,
                    ["PATH"] = RealCliInstall.ChildPath,
                };
                profile.Resume = cli.Resume;
                profile.ClientFileSystem = cli.ClientFileSystem;
                profile.MaxProviderRetries = 1;
                profile.Permissions = new PermissionPolicy { Allow = [.. cli.Allow] };
                profile.Timeouts = new ProfileTimeouts
                {
                    Ready = TimeSpan.FromSeconds(45),
                    FirstToken = TimeSpan.FromSeconds(45),
                    Turn = TimeSpan.FromSeconds(90),
                    Cancel = TimeSpan.FromSeconds(5),
                    GracefulStop = TimeSpan.FromSeconds(2),
                };
                profile.Pool.MinReady = minReady;
                profile.Pool.MaxReady = Math.Max(minReady, 1);
                profile.Pool.MaxProcesses = 4;
                profile.Pool.MaxConcurrentStarts = 1;
                profile.Pool.StartTimeout = TimeSpan.FromSeconds(45);
                // As shipped: the real-CLI profiles run in conversation isolation, under bubblewrap.
                profile.Isolation = ShippedProfiles.Load()[cli.Profile].Isolation;
                profile.Sandbox.ReadOnlyPaths.AddRange(cli.ReadOnlyPaths());
                configure?.Invoke(profile);
            });

            // The CLI reads its provider settings from its HOME: the persistent per-profile HOME under the data directory.
            var home = Path.Combine(sim.DataDirectory, "service", "home", cli.Profile);
            foreach (var (relative, content) in cli.HomeFiles(stub.Url))
            {
                var path = Path.Combine(home, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, content);
            }

            var service = await ServiceHarness.StartAsync(sim, new Dictionary<string, string?>
            {
                ["Workers:Maintenance:DrainDeadline"] = "00:00:05",
            });
            return new RealCliHarness(cli, stub, sim, service);
        }
        catch
        {
            await sim.DisposeAsync();
            await stub.DisposeAsync();
            throw;
        }
    }

    /// <summary>Enqueues a turn and waits for its end.</summary>
    public async Task<JsonElement> RunTurnAsync(string conversation, string prompt, CancellationToken cancellationToken,
        IReadOnlyList<(string Role, string Text)>? transcript = null)
    {
        var id = await EnqueueAsync(conversation, prompt, cancellationToken, transcript);
        return await Service.WaitForEndAsync(id, cancellationToken, TimeSpan.FromSeconds(100));
    }

    public async Task<string> EnqueueAsync(string conversation, string prompt, CancellationToken cancellationToken,
        IReadOnlyList<(string Role, string Text)>? transcript = null)
    {
        var accepted = await Service.EnqueueAsync(new
        {
            conversationId = conversation,
            profile = Profile,
            prompt,
            transcript = transcript?.Select(t => new { role = t.Role, text = t.Text }).ToArray(),
        }, cancellationToken);
        return accepted.GetProperty("id").GetString()!;
    }

    /// <summary>Reads the turn's event stream until an event of <paramref name="type"/> (or the end) arrives.</summary>
    public Task<List<SseReader.Item>> ReadEventsUntilAsync(string turnId, string type, CancellationToken cancellationToken) =>
        SseReader.ReadAsync(Service.Client, turnId, cancellationToken, until: type);

    /// <summary>Waits until the stub has received a model request whose last user message contains <paramref name="text"/>.</summary>
    public async Task<StubRequest> WaitForModelRequestAsync(string text, CancellationToken cancellationToken)
    {
        StubRequest? found = null;
        await Poll.UntilAsync(() => (found = Stub.ModelRequests.FirstOrDefault(r => r.LastUserText.Contains(text, StringComparison.Ordinal))) is not null,
            $"a model request with \"{text}\"", TimeSpan.FromSeconds(60), cancellationToken);
        return found!;
    }

    /// <summary>Waits until the profile's pool no longer lists process <paramref name="pid"/> (it saw the process exit).</summary>
    public Task WaitUntilGoneFromPoolAsync(int pid, CancellationToken cancellationToken) =>
        Poll.UntilAsync(async token =>
            {
                var pool = await Service.Client.GetFromJsonAsync<JsonElement>($"/v1/pools/{Profile}/processes", token);
                return !pool.GetProperty("processes").EnumerateArray().Any(p => p.GetProperty("pid").GetInt32() == pid);
            }, $"the pool of {Profile} to drop process {pid}", cancellationToken: cancellationToken);

    /// <summary>The turn record's details, for assertion messages.</summary>
    public static string Describe(JsonElement turn)
    {
        var stderr = Str(turn, "stderrTail") ?? "";
        return $"status {Str(turn, "status")}, reason {Str(turn, "reason")}, process {Str(turn, "process")}, session {Str(turn, "session")}, " +
            $"fidelity {Str(turn, "fidelity")}, fallback {Str(turn, "fallbackReason")}, message {Str(turn, "message")}, " +
            $"stderr {stderr[^Math.Min(600, stderr.Length)..]}";
    }

    public static string? Str(JsonElement turn, string name) =>
        turn.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Service.DisposeAsync();
        }
        finally
        {
            try
            {
                await Sim.DisposeAsync();
            }
            finally
            {
                await Stub.DisposeAsync();
            }
        }
    }
}
