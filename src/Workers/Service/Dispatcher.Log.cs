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

        // Turns + 3 to + 5, + 7 and + 8 are the messages of one turn's run, in TurnRun.Log.cs.

        [LoggerMessage(EventId = EventIds.Turns + 6, Level = LogLevel.Error,
            Message = "The store let this worker claim turn {TurnId} (attempt {Attempt}) while it still runs it; not started again")]
        public static partial void ClaimedWhileRunning(ILogger logger, string turnId, int attempt);
    }
}
