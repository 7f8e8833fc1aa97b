using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Pooling;

public sealed partial class AgentPool
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Pooling + 1, Level = LogLevel.Debug,
            Message = "Pool {Pool}: process {PoolProcessId} (pid {ProcessId}) ready after {WarmupMs} ms")]
        public static partial void Ready(ILogger logger, string pool, long poolProcessId, int processId, double warmupMs);

        [LoggerMessage(EventId = EventIds.Pooling + 2, Level = LogLevel.Debug,
            Message = "Pool {Pool}: retiring process {PoolProcessId} (pid {ProcessId}): {Reason}")]
        public static partial void Retired(ILogger logger, string pool, long poolProcessId, int processId, string reason);

        [LoggerMessage(EventId = EventIds.Pooling + 3, Level = LogLevel.Warning,
            Message = "Pool {Pool}: a process failed to start ({Reason}); next start in {BackoffSeconds} s: {Error}")]
        public static partial void StartFailed(ILogger logger, string pool, string reason, double backoffSeconds, string error);

        [LoggerMessage(EventId = EventIds.Pooling + 4, Level = LogLevel.Warning, Message = "Pool {Pool}: stopping process {ProcessId} failed")]
        public static partial void StopFailed(ILogger logger, string pool, int processId, Exception exception);

        [LoggerMessage(EventId = EventIds.Pooling + 5, Level = LogLevel.Warning,
            Message = "Pool {Pool}: a starting process was killed from outside or found stopped; starting another at once: {Error}")]
        public static partial void StartKilled(ILogger logger, string pool, string error);

        [LoggerMessage(EventId = EventIds.Pooling + 6, Level = LogLevel.Information,
            Message = "Pool {Pool}: process {ProcessId} did not answer session/close within {GraceSeconds} s; stopping it anyway")]
        public static partial void SessionsNotClosed(ILogger logger, string pool, int processId, double graceSeconds);
    }
}
