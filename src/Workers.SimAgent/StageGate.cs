using System.Diagnostics;
using System.Globalization;

namespace Workers.SimAgent;

/// <summary>The points where crash, hang and stop faults strike.</summary>
internal static class StageGate
{
    /// <summary>
    /// Crashes, hangs or stops if <paramref name="faults"/> says so for <paramref name="stage"/>, else passes at once. A hang
    /// ignores interrupts and cancels on purpose: it stands for a CLI that is stuck, which a host can only kill. A stop is a
    /// SIGSTOP the process sends itself, as an operator's or a debugger's would arrive: it goes on only if continued.
    /// </summary>
    public static Task PassAsync(FaultPlan faults, FaultStage stage)
    {
        if (faults.CrashesAt(stage))
        {
            Diagnostics.Raw($"sim-agent: injected crash at {FaultStageNames.Name(stage)}");
            Environment.Exit(3);
        }

        if (faults.StopsAt(stage))
        {
            Diagnostics.Raw($"sim-agent: injected stop at {FaultStageNames.Name(stage)}");
            StopSelf();
        }

        return faults.HangsAt(stage) ? SimDelay.ForeverAsync() : Task.CompletedTask;
    }

    private static void StopSelf()
    {
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-STOP", pid])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        });
        kill?.WaitForExit();
    }
}
