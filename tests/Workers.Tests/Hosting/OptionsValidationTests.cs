using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Workers.Hosting;
using Workers.Maintenance;
using Workers.Service;

namespace Workers.Tests.Hosting;

/// <summary><c>Workers:Service</c> and <c>Workers:Maintenance</c> are checked when the service starts: a value out of
/// range stops it with a message naming the setting, before anything runs.</summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("workers-options-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public void Defaults_AreValid()
    {
        Assert.True(new ServiceOptionsValidator().Validate(null, new ServiceOptions()).Succeeded);
        Assert.True(new MaintenanceOptionsValidator().Validate(null, new MaintenanceOptions()).Succeeded);
    }

    public static TheoryData<Action<ServiceOptions>, string> ServiceRefusals => new()
    {
        { o => o.LeaseDuration = TimeSpan.Zero, "LeaseDuration: The field ServiceOptions.LeaseDuration must be between 00:00:03 and 1.00:00:00." },
        { o => o.LeaseDuration = TimeSpan.FromDays(60), "LeaseDuration: The field ServiceOptions.LeaseDuration must be between 00:00:03 and 1.00:00:00." },
        { o => o.PollInterval = TimeSpan.Zero, "PollInterval: The field ServiceOptions.PollInterval must be between 00:00:00.0100000 and 01:00:00." },
        {
            o => o.EventFlushInterval = TimeSpan.FromMilliseconds(-1),
            "EventFlushInterval: The field ServiceOptions.EventFlushInterval must be between 00:00:00.0010000 and 00:01:00."
        },
        { o => o.Retention = TimeSpan.Zero, "Retention: The field ServiceOptions.Retention must be between 00:01:00 and 3650.00:00:00." },
        { o => o.MaxWorkerAttempts = 0, "MaxWorkerAttempts: The field ServiceOptions.MaxWorkerAttempts must be between 1 and 1000." },
        { o => o.MaxQueuedTurns = -5, "MaxQueuedTurns: The field ServiceOptions.MaxQueuedTurns must be between 1 and 2147483647." },
        { o => o.MaxPromptBytes = 0, "MaxPromptBytes: The field ServiceOptions.MaxPromptBytes must be between 1 and 2147483647." },
        { o => o.MaxTranscriptBytes = 0, "MaxTranscriptBytes: The field ServiceOptions.MaxTranscriptBytes must be between 1 and 2147483647." },
        { o => o.Urls = "", "Urls: The ServiceOptions.Urls field is required." },
        { o => o.MaxTranscriptEntries = 0, "MaxTranscriptEntries: The field ServiceOptions.MaxTranscriptEntries must be between 1 and 100000." },
        { o => o.MaxRequestBodyBytes = 100, "MaxRequestBodyBytes: The field ServiceOptions.MaxRequestBodyBytes must be between 1024 and 2147483647." },
        {
            o => o.SseKeepAlive = TimeSpan.Zero,
            "SseKeepAlive: The field ServiceOptions.SseKeepAlive must be between 00:00:00.1000000 and 00:10:00."
        },
        { o => o.FailedTokenLimit = 0, "FailedTokenLimit: The field ServiceOptions.FailedTokenLimit must be between 1 and 1000000." },
        {
            o => o.FailedTokenWindow = TimeSpan.FromDays(2),
            "FailedTokenWindow: The field ServiceOptions.FailedTokenWindow must be between 00:00:01 and 1.00:00:00."
        },
    };

    [Fact]
    public void KnownProxies_AreAddressesOrNetworks_ElseStartUpFailsNamingTheEntry()
    {
        var good = new ServiceOptions { KnownProxies = ["10.0.0.7", "10.0.0.0/8", "::1", "fd00::/8"] };
        var bad = new ServiceOptions { KnownProxies = ["10.0.0.7", "ingress.local", "10.0.0.0/33"] };

        Assert.True(new KnownProxies().Validate(null, good).Succeeded);
        Assert.Equal(4, KnownProxies.Parse(good.KnownProxies).Count);
        var failure = Assert.Single(new KnownProxies().Validate(null, bad).Failures!);
        Assert.StartsWith("Workers:Service:KnownProxies: 'ingress.local', '10.0.0.0/33' is neither", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void BodyLimit_MustHoldTheLargestBodyTheOtherLimitsAllow()
    {
        var defaults = new ServiceOptions();
        var small = new ServiceOptions { MaxPromptBytes = 1000, MaxTranscriptBytes = 1000, MaxTranscriptEntries = 4, MaxRequestBodyBytes = 61_408 };

        var tooSmall = new RequestBodyLimit().Validate(null, new ServiceOptions
        {
            MaxPromptBytes = 1000, MaxTranscriptBytes = 1000, MaxTranscriptEntries = 4, MaxRequestBodyBytes = 61_407,
        });

        // 6 × (1000 + 1000) + 64 × 4 + 16 KiB of metadata + 32 KiB for the other fields.
        Assert.Equal(61_408, RequestBodyLimit.WorstCase(small));
        Assert.True(new RequestBodyLimit().Validate(null, small).Succeeded);
        Assert.True(new RequestBodyLimit().Validate(null, defaults).Succeeded, $"defaults: worst case {RequestBodyLimit.WorstCase(defaults)}");
        var failure = Assert.Single(tooSmall.Failures!);
        Assert.StartsWith("Workers:Service:MaxRequestBodyBytes 61407 is below the largest body the other limits allow, 61408 bytes", failure,
            StringComparison.Ordinal);
    }

    [Fact]
    public void BodyLimit_WorstCaseOfTheLargestLimits_DoesNotOverflow()
    {
        var largest = new ServiceOptions { MaxPromptBytes = int.MaxValue, MaxTranscriptBytes = int.MaxValue, MaxTranscriptEntries = 100_000 };

        Assert.True(RequestBodyLimit.WorstCase(largest) > int.MaxValue);
        Assert.True(new RequestBodyLimit().Validate(null, largest).Failed);
    }

    [Theory]
    [MemberData(nameof(ServiceRefusals))]
    public void ServiceOptions_OutOfRange_AreRefusedNamingTheSetting(Action<ServiceOptions> change, string message)
    {
        var options = new ServiceOptions();
        change(options);

        var result = new ServiceOptionsValidator().Validate(null, options);

        Assert.Equal([message], result.Failures!);
    }

    [Theory]
    [InlineData("00:00:00", "00:00:30", "ReapInterval: The field MaintenanceOptions.ReapInterval must be between 00:00:01 and 1.00:00:00.")]
    [InlineData("00:00:15", "-00:00:01", "DrainDeadline: The field MaintenanceOptions.DrainDeadline must be between 00:00:00 and 1.00:00:00.")]
    [InlineData("00:00:15", "30.00:00:00", "DrainDeadline: The field MaintenanceOptions.DrainDeadline must be between 00:00:00 and 1.00:00:00.")]
    public void MaintenanceOptions_OutOfRange_AreRefusedNamingTheSetting(string reapInterval, string drainDeadline, string message)
    {
        var options = new MaintenanceOptions { ReapInterval = TimeSpan.Parse(reapInterval), DrainDeadline = TimeSpan.Parse(drainDeadline) };

        var result = new MaintenanceOptionsValidator().Validate(null, options);

        Assert.Equal([message], result.Failures!);
    }

    [Theory]
    [InlineData("00:00:09", "01:00:00", "FileSweepInterval: The field MaintenanceOptions.FileSweepInterval must be between 00:00:10 and 1.00:00:00.")]
    [InlineData("00:10:00", "00:00:59", "OrphanGracePeriod: The field MaintenanceOptions.OrphanGracePeriod must be between 00:01:00 and 30.00:00:00.")]
    [InlineData("00:10:00", "31.00:00:00", "OrphanGracePeriod: The field MaintenanceOptions.OrphanGracePeriod must be between 00:01:00 and 30.00:00:00.")]
    public void FileSweepOptions_OutOfRange_AreRefusedNamingTheSetting(string interval, string grace, string message)
    {
        var options = new MaintenanceOptions { FileSweepInterval = TimeSpan.Parse(interval), OrphanGracePeriod = TimeSpan.Parse(grace) };

        var result = new MaintenanceOptionsValidator().Validate(null, options);

        Assert.Equal([message], result.Failures!);
    }

    [Fact]
    public async Task Start_WithAZeroLease_FailsBeforeAnythingRuns()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workers:DataDirectory"] = _data,
            ["Workers:Service:LeaseDuration"] = "00:00:00",
        });
        builder.Services.AddWorkers(builder.Configuration);
        builder.Services.AddWorkerService(builder.Configuration);
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("LeaseDuration: The field ServiceOptions.LeaseDuration must be between 00:00:03 and 1.00:00:00.", error.Failures);
        // Nothing started: the store was not even created.
        Assert.False(File.Exists(Path.Combine(_data, "workers.db")));
    }
}
