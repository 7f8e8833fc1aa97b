using System.Diagnostics;
using System.Globalization;

namespace Workers.SimAgent;

/// <summary>The points where crash, crash-once, hang and stop faults strike.</summary>
internal static class StageGate
{
    /// <summary>
    /// Crashes, hangs or stops if <paramref name="faults"/> says so for <paramref name="stage"/>, else passes at once. A crash-once
    /// crashes only the first process to get here with it (<see cref="FirstToGetHere"/>), so that a host's retry succeeds. A hang
    /// ignores interrupts and cancels on purpose: it stands for a CLI that is stuck, which a host can only kill. A stop is a
    /// SIGSTOP the process sends itself, as an operator's or a debugger's would arrive: it goes on only if continued.
    /// </summary>
    public static Task PassAsync(FaultPlan faults, FaultStage stage)
    {
        if (faults.CrashesAt(stage) || (faults.CrashesOnceAt(stage) && FirstToGetHere(faults, stage)))
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

    /// <summary>Claims the stage's marker in the session directory: only the process that creates it (atomically) was first.</summary>
    private static bool FirstToGetHere(FaultPlan faults, FaultStage stage)
    {
        var directory = faults.MarkerDirectory ?? Environment.CurrentDirectory;
        var marker = Path.Combine(directory, $"crash-once-{FaultStageNames.Name(stage)}");
        Directory.CreateDirectory(directory);
        try
        {
            using var created = new FileStream(marker, FileMode.CreateNew);
            return true;
        }
        catch (IOException) when (File.Exists(marker))
        {
            return false;
        }
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
