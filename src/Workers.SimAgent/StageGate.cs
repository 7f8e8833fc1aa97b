namespace Workers.SimAgent;

/// <summary>The points where crash and hang faults strike.</summary>
internal static class StageGate
{
    /// <summary>
    /// Crashes or hangs if <paramref name="faults"/> says so for <paramref name="stage"/>, else passes at once. A hang ignores
    /// interrupts and cancels on purpose: it stands for a CLI that is stuck, which a host can only kill.
    /// </summary>
    public static Task PassAsync(FaultPlan faults, FaultStage stage)
    {
        if (faults.CrashesAt(stage))
        {
            Diagnostics.Raw($"sim-agent: injected crash at {FaultStageNames.Name(stage)}");
            Environment.Exit(3);
        }

        return faults.HangsAt(stage) ? SimDelay.ForeverAsync() : Task.CompletedTask;
    }
}
