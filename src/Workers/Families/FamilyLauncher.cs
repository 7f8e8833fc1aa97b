using Microsoft.Extensions.Logging;
using Workers.Isolation;
using Workers.Processes;
using Workers.Profiles;

namespace Workers.Families;

/// <summary>The real launcher: the profile's family builds the command line, <see cref="AgentLauncher"/> starts it under
/// the service's guards (watchdog, ledger), and the family attaches its connection.</summary>
public sealed class FamilyLauncher(AgentDrivers drivers, AgentLauncher processes, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    : IAgentLauncher
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<FamilyLauncher>();

    public FamilyTraits TraitsOf(ResolvedProfile profile) => drivers.For(profile.Family).Traits;

    public IAgentConnection Launch(ResolvedProfile profile, LaunchRequest request)
    {
        var driver = drivers.For(profile.Family);
        var spec = driver.BuildLaunch(profile, request);
        if (profile.Isolation == IsolationMode.Conversation)
        {
            var slot = request.Slot ?? throw new InvalidOperationException($"Profile '{profile.Name}' isolates conversations: its processes need a slot.");
            spec = SandboxCommand.Wrap(profile, spec, slot, request.WorkingDirectory);
        }

        var process = processes.Start(spec);
        return driver.Attach(process, profile, request, timeProvider, _logger);
    }
}
