using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Families.Acp;

public sealed partial class AcpConnection
{
    [LoggerMessage(EventId = EventIds.Families + 20, Level = LogLevel.Debug,
        Message = "JSON-RPC connection to agent process {ProcessId} ended: {Reason} {Description}")]
    private static partial void LogDisconnected(ILogger logger, int processId, string reason, string description);
}
