using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Service;

/// <summary>The log messages of one turn's run; their event ids stay in the dispatcher's range (the claim loop's
/// messages are in <c>Dispatcher.Log.cs</c>), and they are logged under the dispatcher's category.</summary>
internal sealed partial class TurnRun
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Turns + 3, Level = LogLevel.Error, Message = "Running turn {TurnId} failed")]
        public static partial void RunFailed(ILogger logger, string turnId, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 4, Level = LogLevel.Warning,
            Message = "Lost the lease on turn {TurnId}; another worker owns it now, this run writes nothing more")]
        public static partial void LeaseLost(ILogger logger, string turnId);

        [LoggerMessage(EventId = EventIds.Turns + 5, Level = LogLevel.Warning,
            Message = "Renewing the lease of turn {TurnId} failed; retrying in {RetryMs} ms, the lease holds for {RemainingMs} ms more")]
        public static partial void HeartbeatFailed(ILogger logger, string turnId, double retryMs, double remainingMs, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 7, Level = LogLevel.Error,
            Message = "The lease of turn {TurnId} expired before a renewal got through; the run stops, and fails store_unavailable once the store answers unless another worker took the turn")]
        public static partial void LeaseExpiredUnrenewed(ILogger logger, string turnId, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 8, Level = LogLevel.Warning, Message = "Reading whether turn {TurnId} was cancelled failed")]
        public static partial void CancelCheckFailed(ILogger logger, string turnId, Exception exception);
    }
}
