using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Store.Sqlite;

public sealed partial class SqliteTurnStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Store + 1, Level = LogLevel.Warning,
            Message = "Turn {TurnId} failed worker_lost: the lease of attempt {Attempt} (worker {Owner}) expired and it may have {MaxAttempts} attempts")]
        public static partial void TurnFailedWorkerLost(ILogger logger, string turnId, int attempt, int maxAttempts, string? owner);

        [LoggerMessage(EventId = EventIds.Store + 2, Level = LogLevel.Warning,
            Message = "Turn {TurnId} failed worker_lost_after_tool_use: the lease of attempt {Attempt} (worker {Owner}) expired after a tool use")]
        public static partial void TurnFailedWorkerLostAfterToolUse(ILogger logger, string turnId, int attempt, string? owner);
    }
}
