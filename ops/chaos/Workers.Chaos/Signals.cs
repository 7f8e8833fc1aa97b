using System.Runtime.InteropServices;
using Workers.Processes;

namespace Workers.Chaos;

/// <summary>kill(2) to one process, and whether a process is still the one that was signalled: the pid and its start time
/// in <c>/proc</c> (<see cref="ProcessLiveness"/>), so a later process that got the same pid is not taken for it.</summary>
internal static partial class Signals
{
    public const int Kill = 9;
    public const int Stop = 19;
    public const int Terminate = 15;

    public static bool Send(int pid, int signal) => pid > 1 && SendSignal(pid, signal) == 0;

    /// <summary>True while the process that had <paramref name="startTime"/> runs (or is stopped): not reaped, not a zombie.</summary>
    public static bool IsAlive(int pid, long startTime) =>
        ProcessLiveness.StartTicks(pid) == startTime && ProcessLiveness.State(pid) is { } state && state is not ('Z' or 'X');

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}
