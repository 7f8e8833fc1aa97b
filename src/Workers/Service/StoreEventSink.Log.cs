using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Service;

internal sealed partial class StoreEventSink
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Turns + 30, Level = LogLevel.Warning,
            Message = "The store refused events of turn {TurnId}; retrying with backoff")]
        public static partial void WriteFailed(ILogger logger, string turnId, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 31, Level = LogLevel.Error,
            Message = "Turn {TurnId} failed store_unavailable: the store took none of its events for {Outage}, its lease")]
        public static partial void TurnStopped(ILogger logger, string turnId, TimeSpan outage, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 32, Level = LogLevel.Error,
            Message = "Turn {TurnId} failed store_unavailable: {MaxBufferedEvents} events were waiting for the store")]
        public static partial void BufferFull(ILogger logger, string turnId, int maxBufferedEvents);

        [LoggerMessage(EventId = EventIds.Turns + 35, Level = LogLevel.Warning,
            Message = "Turn {TurnId} failed protocol_error: its agent wrote events faster than the store took them "
                + "({MaxBufferedEvents} waiting)")]
        public static partial void Outpaced(ILogger logger, string turnId, int maxBufferedEvents);

        [LoggerMessage(EventId = EventIds.Turns + 33, Level = LogLevel.Error,
            Message = "Gave up writing the end of turn {TurnId} after the store failed for {Outage}; its lease will expire")]
        public static partial void GaveUp(ILogger logger, string turnId, TimeSpan outage, Exception exception);

        [LoggerMessage(EventId = EventIds.Turns + 34, Level = LogLevel.Error,
            Message = "Turn {TurnId} failed store_unavailable: the store could not record its tool use for {Outage}, its lease")]
        public static partial void ToolUseNotRecorded(ILogger logger, string turnId, TimeSpan outage, Exception exception);
    }
}
