namespace Workers.SimAgent;

/// <summary>Where in the life of a process or turn a crash, hang or stop fault strikes.</summary>
internal enum FaultStage
{
    Startup,
    SessionInit,
    BeforeFirstToken,
    MidStream,
}

/// <summary>The stage names used in fault specs (<c>crash:mid-stream</c>) and in the crash message.</summary>
internal static class FaultStageNames
{
    public static string Name(FaultStage stage) => stage switch
    {
        FaultStage.Startup => "startup",
        FaultStage.SessionInit => "session-init",
        FaultStage.BeforeFirstToken => "before-first-token",
        _ => "mid-stream",
    };

    public static bool TryParse(string? text, out FaultStage stage)
    {
        foreach (var candidate in Enum.GetValues<FaultStage>())
        {
            if (Name(candidate) == text)
            {
                stage = candidate;
                return true;
            }
        }

        stage = default;
        return false;
    }
}
