using Microsoft.Extensions.Logging;

namespace Workers.Processes;

/// <summary>Starts agent processes and puts each under the service's guards: the orphan watchdog (ends them if the
/// service is killed) and the ledger (lets the next run end leftovers).</summary>
public sealed class AgentLauncher(TimeProvider timeProvider, ILoggerFactory loggerFactory, OrphanWatchdog? watchdog = null,
    ChildProcessLedger? ledger = null)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<AgentProcess>();

    /// <exception cref="SpawnFailedException">The executable could not be started.</exception>
    public AgentProcess Start(LaunchSpec spec)
    {
        var process = AgentProcess.Start(spec, timeProvider, _logger);
        watchdog?.Track(process);
        ledger?.Record(process);
        return process;
    }
}
