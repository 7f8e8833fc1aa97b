using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Options;
using Workers.Maintenance;
using Workers.Pooling;
using Workers.Processes;

namespace Workers.Hosting;

/// <summary>Starts the pools with the service (after ending agents an earlier, killed run left behind) and stops them
/// with it: running turns get the drain deadline, then every process is stopped, gracefully then forcefully.</summary>
internal sealed partial class PoolHostedService(PoolRegistry pools, ChildProcessLedger ledger, OrphanWatchdog watchdog,
    IOptions<MaintenanceOptions> options, IConfiguration configuration, Profiles.FamilyNames families, ILogger<PoolHostedService> logger) : IHostedService
{
    private IDisposable? _reload;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ledger.ReapLeftoversAsync(TimeSpan.FromSeconds(2));
        pools.StartAll();
        // Pool sizes follow the configuration without a restart (the rest of a profile needs one: its processes run it).
        _reload = ChangeToken.OnChange(configuration.GetReloadToken, ReloadPoolOptions);
    }

    /// <summary>Binds and validates the reloaded settings itself: an invalid edit is logged and ignored, never thrown
    /// on the reload thread.</summary>
    private void ReloadPoolOptions()
    {
        var reloaded = new Profiles.WorkersOptions();
        configuration.GetSection(Profiles.WorkersOptions.SectionName).Bind(reloaded);
        var validation = new Profiles.WorkersOptionsValidator(families).Validate(null, reloaded);
        if (validation.Failed)
        {
            LogReloadRejected(logger, validation.FailureMessage);
            return;
        }

        pools.ApplyPoolOptions(reloaded);
    }

    [LoggerMessage(EventId = Logging.EventIds.Pooling + 20, Level = LogLevel.Error,
        Message = "Reloaded pool settings are invalid and were not applied: {Failures}")]
    private static partial void LogReloadRejected(ILogger logger, string failures);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _reload?.Dispose();
        await pools.StopAllAsync(options.Value.DrainDeadline, cancellationToken);
        await watchdog.DisposeAsync();
    }
}
