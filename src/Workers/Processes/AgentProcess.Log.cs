using Microsoft.Extensions.Logging;
using Workers.Logging;

namespace Workers.Processes;

public sealed partial class AgentProcess
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Processes + 1, Level = LogLevel.Debug, Message = "Started agent {FileName} as process {ProcessId}")]
        public static partial void Started(ILogger logger, string fileName, int processId);

        [LoggerMessage(EventId = EventIds.Processes + 2, Level = LogLevel.Information,
            Message = "Agent process {ProcessId} did not exit in time; sending {Signal} to its group")]
        public static partial void Escalating(ILogger logger, int processId, string signal);

        [LoggerMessage(EventId = EventIds.Processes + 3, Level = LogLevel.Warning, Message = "Waiting for agent process {ProcessId} failed")]
        public static partial void WaitFailed(ILogger logger, int processId, Exception exception);

        [LoggerMessage(EventId = EventIds.Processes + 4, Level = LogLevel.Warning,
            Message = "A process of agent process {ProcessId}'s group is stopped (SIGSTOP or a tracer); killing the group")]
        public static partial void KillingStopped(ILogger logger, int processId);
    }
}
