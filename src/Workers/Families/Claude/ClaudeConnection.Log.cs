using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Families.Claude;

internal sealed partial class ClaudeConnection
{
    [LoggerMessage(EventId = EventIds.Families + 10, Level = LogLevel.Debug,
        Message = "Answering a control request of Claude process {ProcessId} failed")]
    private static partial void LogControlWriteFailed(ILogger logger, int processId, Exception exception);
}
