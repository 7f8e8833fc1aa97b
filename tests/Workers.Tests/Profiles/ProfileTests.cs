using Workers.Families;
using Workers.Profiles;

namespace Workers.Tests.Profiles;

public sealed class ProfileTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("workers-profile-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private ProfileCatalog Catalog(AgentProfile profile) =>
        new(new WorkersOptions { DataDirectory = _data, Profiles = { ["p"] = profile } });

    [Fact]
    public void Catalog_MissingCommand_IsKeptAsUnavailableWithItsErrno()
    {
        var profile = Catalog(new AgentProfile { Family = "plain", Command = "no-such-agent-cli" }).Get("p");

        Assert.False(profile.IsAvailable);
        Assert.Equal("ENOENT", profile.UnavailableErrno);
    }

    [Fact]
    public void Catalog_ChildEnvironment_HasAPerProfileHomeAndOnlyTheAllowedVariables()
    {
        var profile = Catalog(new AgentProfile { Family = "plain", Command = "/bin/cat", Env = { ["API_TOKEN"] = "s3cret" } }).Get("p");

        Assert.Equal(Path.Combine(_data, "home", "p"), profile.Environment["HOME"]);
        Assert.Equal("s3cret", profile.Environment["API_TOKEN"]);
        Assert.All(profile.Environment.Keys, key => Assert.Contains(key, ChildEnvironment.Inherited.Append("HOME").Append("API_TOKEN")));
        Assert.True(Directory.Exists(profile.DefaultWorkingDirectory));
    }

    [Fact]
    public void ResolveWorkingDirectory_OutsideTheAllowedRoots_IsRejected()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_data, "projects", "a")).FullName;
        var profile = Catalog(new AgentProfile { Family = "plain", Command = "/bin/cat", AllowedWorkingDirectories = [Path.Combine(_data, "projects")] })
            .Get("p");

        Assert.Equal(allowed, profile.ResolveWorkingDirectory(allowed));
        Assert.Equal(profile.DefaultWorkingDirectory, profile.ResolveWorkingDirectory(null));
        Assert.Throws<ArgumentException>(() => profile.ResolveWorkingDirectory("/etc"));
        Assert.Throws<ArgumentException>(() => profile.ResolveWorkingDirectory(Path.Combine(_data, "projects-evil")));
        Assert.Throws<ArgumentException>(() => profile.ResolveWorkingDirectory("relative/path"));
    }

    [Fact]
    public void ResolveWorkingDirectory_InConversationIsolation_IsTheSandboxWorkspace_AndNeverTheFolderOfEveryConversations()
    {
        var allowed = Directory.CreateDirectory(Path.Combine(_data, "projects", "a")).FullName;
        var profile = Catalog(new AgentProfile
        {
            Family = "plain", Command = "/bin/cat", Isolation = IsolationMode.Conversation, Sandbox = { Command = "/bin/true" },
            AllowedWorkingDirectories = [Path.Combine(_data, "projects")],
        }).Get("p");
        var someConversation = Directory.CreateDirectory(Path.Combine(profile.DefaultWorkingDirectory, "0123456789abcdef0123456789abcdef")).FullName;

        Assert.Equal("/conversation/workspace", profile.ResolveWorkingDirectory(null));
        Assert.Equal(allowed, profile.ResolveWorkingDirectory(allowed));
        Assert.Contains("every conversation's workspace",
            Assert.Throws<ArgumentException>(() => profile.ResolveWorkingDirectory(profile.DefaultWorkingDirectory)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => profile.ResolveWorkingDirectory(someConversation));
    }

    [Fact]
    public void Catalog_ConversationIsolationWithoutItsSandbox_IsUnavailableNamingBubblewrap()
    {
        var profile = Catalog(new AgentProfile
        {
            Family = "plain", Command = "/bin/cat", Isolation = IsolationMode.Conversation, Sandbox = { Command = "no-such-bwrap" },
        }).Get("p");

        Assert.False(profile.IsAvailable);
        Assert.Contains("bubblewrap", profile.UnavailableReason, StringComparison.Ordinal);
        Assert.Equal("ENOENT", profile.UnavailableErrno);
    }

    [Fact]
    public void ResolveWorkingDirectory_GivesTheRealPath_AndRefusesALinkOutsideWithoutNamingItsTarget()
    {
        var outside = Directory.CreateTempSubdirectory("workers-outside-").FullName;
        try
        {
            var projects = Directory.CreateDirectory(Path.Combine(_data, "projects")).FullName;
            var real = Directory.CreateDirectory(Path.Combine(projects, "real")).FullName;
            Directory.CreateSymbolicLink(Path.Combine(projects, "inner"), real);
            Directory.CreateSymbolicLink(Path.Combine(projects, "out"), outside);
            var profile = Catalog(new AgentProfile { Family = "plain", Command = "/bin/cat", AllowedWorkingDirectories = [projects] })
                .Get("p");

            var refusal = Assert.Throws<WorkingDirectoryLeadsOutsideException>(
                () => profile.ResolveWorkingDirectory(Path.Combine(projects, "out")));

            Assert.Equal(real, profile.ResolveWorkingDirectory(Path.Combine(projects, "inner")));
            Assert.Contains(Path.Combine(projects, "out"), refusal.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetFileName(outside), refusal.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void ResolveWorkingDirectory_DefaultDirectorySwappedForALinkAfterResolution_IsOutside()
    {
        var outside = Directory.CreateTempSubdirectory("workers-outside-").FullName;
        try
        {
            var profile = Catalog(new AgentProfile { Family = "plain", Command = "/bin/cat" }).Get("p");
            Directory.Move(profile.DefaultWorkingDirectory, profile.DefaultWorkingDirectory + "-moved");
            Directory.CreateSymbolicLink(profile.DefaultWorkingDirectory, outside);

            Assert.Throws<WorkingDirectoryLeadsOutsideException>(() => profile.ResolveWorkingDirectory(null));
            Assert.Throws<WorkingDirectoryLeadsOutsideException>(() => profile.ResolveWorkingDirectory(profile.DefaultWorkingDirectory));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Validator_NamesTheSettingAndItsValue()
    {
        var options = new WorkersOptions
        {
            DataDirectory = _data,
            Profiles =
            {
                ["bad"] = new AgentProfile
                {
                    Family = "smoke-signals",
                    Command = "",
                    Timeouts = new ProfileTimeouts { FirstToken = TimeSpan.FromMinutes(5), Turn = TimeSpan.FromMinutes(1) },
                },
            },
        };

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Workers:Profiles:bad:Family 'smoke-signals'", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Workers:Profiles:bad:Command", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Timeouts:FirstToken 00:05:00 exceeds Timeouts:Turn 00:01:00", StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_PoolSizesOutOfOrder_NameTheSettings()
    {
        var profile = new AgentProfile { Family = "plain", Command = "/bin/cat" };
        profile.Pool.MinReady = 5;
        profile.Pool.MaxReady = 2;
        profile.Pool.MaxProcesses = 1;
        profile.Pool.Schedules.Add(new PoolSchedule { Cron = "not cron", MinReady = 1 });

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, new WorkersOptions { DataDirectory = _data, Profiles = { ["p"] = profile } });

        Assert.Contains(result.Failures!, f => f == "Workers:Profiles:p:Pool:MaxReady 2 is below MinReady 5.");
        Assert.Contains(result.Failures!, f => f.StartsWith("Workers:Profiles:p:Pool:MaxProcesses 1", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("cron 'not cron'", StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_PrewarmDirectories_NamesEveryFaultyEntry()
    {
        var profile = new AgentProfile { Family = "plain", Command = "/bin/cat" };
        (profile.Pool.MinReady, profile.Pool.MaxReady, profile.Pool.MaxProcesses) = (1, 2, 3);
        profile.Pool.WorkingDirectories.AddRange([
            new PrewarmDirectory { Name = "default", Path = "/srv/a" },
            new PrewarmDirectory { Name = "Repo A", Path = "/srv/b" },
            new PrewarmDirectory { Name = "repo-c", Path = "srv/c", MinReady = 2, MaxReady = 1 },
            new PrewarmDirectory { Name = "repo-d", Path = "/srv/d", MinReady = 2 },
            new PrewarmDirectory { Name = "repo-d", Path = "/srv/e" },
        ]);

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, new WorkersOptions { DataDirectory = _data, Profiles = { ["p"] = profile } });

        const string Prefix = "Workers:Profiles:p:Pool:WorkingDirectories";
        Assert.Contains(result.Failures!, f => f.StartsWith($"{Prefix} 'default': Name must be", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith($"{Prefix} 'Repo A': Name must be", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f == $"{Prefix} 'repo-c': Path 'srv/c' must be an absolute path.");
        Assert.Contains(result.Failures!, f => f.StartsWith($"{Prefix} 'repo-c': MinReady 2 and MaxReady 1", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f == $"{Prefix} 'repo-d': Name is given twice.");
        Assert.Contains(result.Failures!, f => f.StartsWith("Workers:Profiles:p:Pool:MinReady 1 plus the MinReady of every WorkingDirectories entry (8 in all) exceeds MaxProcesses 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Catalog_PrewarmDirectories_AreRealPathsInsideTheAllowedOnes_OrTheServiceDoesNotStart()
    {
        var projects = Directory.CreateDirectory(Path.Combine(_data, "projects")).FullName;
        var repo = Directory.CreateDirectory(Path.Combine(projects, "repo")).FullName;
        var link = Path.Combine(projects, "link-to-repo");
        File.CreateSymbolicLink(link, repo);
        var outside = Directory.CreateDirectory(Path.Combine(_data, "outside")).FullName;
        AgentProfile With(string path) => new()
        {
            Family = "plain", Command = "/bin/cat", AllowedWorkingDirectories = [projects],
            Pool = { WorkingDirectories = [new PrewarmDirectory { Name = "repo", Path = path }] },
        };

        var resolved = Catalog(With(link)).Get("p").PrewarmDirectories;

        Assert.Equal(new WarmDirectory("repo", repo), Assert.Single(resolved));
        var error = Assert.Throws<InvalidOperationException>(() => Catalog(With(outside)));
        Assert.StartsWith("Workers:Profiles:p:Pool:WorkingDirectories 'repo': cwd '" + outside + "' is outside", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<InvalidOperationException>(() => Catalog(With(Path.Combine(projects, "missing"))));
        Assert.EndsWith("does not exist.", error.Message, StringComparison.Ordinal);
        var defaultDirectory = Catalog(new AgentProfile { Family = "plain", Command = "/bin/cat" }).Get("p").DefaultWorkingDirectory;
        error = Assert.Throws<InvalidOperationException>(() => Catalog(new AgentProfile
        {
            Family = "plain", Command = "/bin/cat", Pool = { WorkingDirectories = [new PrewarmDirectory { Name = "again", Path = defaultDirectory }] },
        }));
        Assert.Contains("is the profile's own working directory or another entry's", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_ATurnOutputLimitBelowOneLine_IsRefusedNamingBoth()
    {
        var profile = new AgentProfile { Family = "plain", Command = "/bin/cat", MaxLineBytes = 8192, MaxTurnOutputBytes = 8191 };

        var options = new WorkersOptions { DataDirectory = _data, Profiles = { ["p"] = profile } };

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, options);

        Assert.Contains(result.Failures!,
            f => f == "Workers:Profiles:p:MaxTurnOutputBytes 8191 is below MaxLineBytes 8192: a turn could not take one whole line.");
        profile.MaxTurnOutputBytes = 8192;
        Assert.True(new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validator_AFileReadLimitBelowOneByte_IsRefusedNamingIt()
    {
        var profile = new AgentProfile { Family = "acp", Command = "/bin/cat", MaxFileReadBytes = 0 };
        var options = new WorkersOptions { DataDirectory = _data, Profiles = { ["p"] = profile } };

        var result = new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, options);

        Assert.Contains(result.Failures!, f => f == "Workers:Profiles:p:MaxFileReadBytes 0 must be at least 1.");
    }

    [Fact]
    public void Catalog_DisabledProfile_IsLeftOutAndNotValidated()
    {
        var options = new WorkersOptions
        {
            DataDirectory = _data,
            Profiles = { ["off"] = new AgentProfile { Enabled = false, Family = "nonsense" }, ["on"] = new AgentProfile { Family = "plain", Command = "/bin/cat" } },
        };

        var catalog = new ProfileCatalog(options);

        Assert.False(catalog.TryGet("off", out _));
        Assert.True(catalog.TryGet("on", out _));
        Assert.False(new WorkersOptionsValidator(AgentDrivers.BuiltInNames).Validate(null, options).Failed);
    }
}
