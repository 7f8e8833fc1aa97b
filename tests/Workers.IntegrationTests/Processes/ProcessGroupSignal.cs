using System.Runtime.InteropServices;

namespace Workers.IntegrationTests.Processes;

/// <summary>kill(2) for tests: SIGTERM to one process, as an orchestrator stops a service.</summary>
internal static partial class ProcessGroupSignal
{
    public static void Terminate(int processId) => _ = Kill(processId, 15);

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
