using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Workers.Maintenance;
using Workers.Processes;

namespace Workers.Pooling;

/// <summary>Starts the pools with the service (after ending agents an earlier, killed run left behind) and stops them
/// with it: running turns get the drain deadline, then every process is stopped, gracefully then forcefully.</summary>
internal sealed class PoolHostedService(PoolRegistry pools, ChildProcessLedger ledger, OrphanWatchdog watchdog, IOptions<MaintenanceOptions> options)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await ledger.ReapLeftoversAsync(TimeSpan.FromSeconds(2));
        pools.StartAll();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await pools.StopAllAsync(options.Value.DrainDeadline);
        await watchdog.DisposeAsync();
    }
}
