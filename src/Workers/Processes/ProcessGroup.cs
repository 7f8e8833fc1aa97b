using System.Runtime.InteropServices;

namespace Workers.Processes;

/// <summary>Signals to a whole process group. Agents run as group leaders (launched through <c>setsid</c>),
/// so node-plus-child CLIs such as claude-agent-acp end together.</summary>
internal static partial class ProcessGroup
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="groupId"/>; false when none is left.</summary>
    public static bool Signal(int groupId, int signal) => groupId > 1 && Kill(-groupId, signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to one process.</summary>
    public static bool SignalProcess(int processId, int signal) => processId > 1 && Kill(processId, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
