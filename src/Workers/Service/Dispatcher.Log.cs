using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Service;

public sealed partial class Dispatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Turns + 1, Level = LogLevel.Information, Message = "Took back {Count} turns leased by an earlier run")]
        public static partial void LeasesTakenBack(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.Turns + 2, Level = LogLevel.Error, Message = "Claiming a turn failed")]
        public static partial void ClaimFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 3, Level = LogLevel.Error, Message = "Running turn {TurnId} failed")]
        public static partial void RunFailed(ILogger logger, string turnId, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 4, Level = LogLevel.Warning,
            Message = "Lost the lease on turn {TurnId}; another worker owns it now, this run writes nothing more")]
        public static partial void LeaseLost(ILogger logger, string turnId);

        [LoggerMessage(EventId = EventIds.Turns + 5, Level = LogLevel.Warning, Message = "Heartbeat of turn {TurnId} failed")]
        public static partial void HeartbeatFailed(ILogger logger, string turnId, Exception exception);
    }
}
