using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Families;

internal abstract partial class StdioConnection
{
    [LoggerMessage(EventId = EventIds.Families + 1, Level = LogLevel.Debug, Message = "Writing to agent process {ProcessId} failed: {Error}")]
    private static partial void LogWriteFailed(ILogger logger, int processId, string error);
}
