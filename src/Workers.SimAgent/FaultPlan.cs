using System.Diagnostics.CodeAnalysis;

namespace Workers.SimAgent;

/// <summary>
/// The faults in force: those from knobs and environment apply to the whole process, and a turn adds its prompt directives
/// on top (<see cref="With"/>). When a kind appears twice, the first one wins, so process faults beat directives.
/// </summary>
internal sealed class FaultPlan
{
    private readonly Fault[] _faults;

    private FaultPlan(Fault[] faults, string? markerDirectory = null)
    {
        _faults = faults;
        MarkerDirectory = markerDirectory;
    }

    /// <summary>Where <c>crash-once</c> faults leave their marker: the session directory, which every process of a host's
    /// profile shares.</summary>
    public string? MarkerDirectory { get; }

    public static FaultPlan None { get; } = new([]);

    /// <summary>Parses fault specs; each may itself be a comma-separated list.</summary>
    public static bool TryParse(IEnumerable<string> specs, [NotNullWhen(true)] out FaultPlan? plan, [NotNullWhen(false)] out string? error)
    {
        var faults = new List<Fault>();
        foreach (var spec in specs)
        {
            foreach (var item in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Fault.TryParse(item, out var fault, out error))
                {
                    plan = null;
                    return false;
                }

                faults.Add(fault);
            }
        }

        plan = new FaultPlan([.. faults]);
        error = null;
        return true;
    }

    public FaultPlan With(IReadOnlyList<Fault> more) => more.Count == 0 ? this : new FaultPlan([.. _faults, .. more], MarkerDirectory);

    /// <summary>The same faults, leaving <c>crash-once</c> markers in <paramref name="directory"/>.</summary>
    public FaultPlan MarkingIn(string directory) => new(_faults, directory);

    public bool Has(FaultKind kind) => Find(kind) is not null;

    public bool CrashesAt(FaultStage stage) => _faults.Any(f => f.Kind == FaultKind.Crash && f.Stage == stage);

    public bool CrashesOnceAt(FaultStage stage) => _faults.Any(f => f.Kind == FaultKind.CrashOnce && f.Stage == stage);

    public bool HangsAt(FaultStage stage) => _faults.Any(f => f.Kind == FaultKind.Hang && f.Stage == stage);

    public bool StopsAt(FaultStage stage) => _faults.Any(f => f.Kind == FaultKind.Stop && f.Stage == stage);

    public int? ExitCode => Find(FaultKind.Exit)?.Amount;

    public int? OversizedBytes => Find(FaultKind.Oversized)?.Amount;

    /// <summary>Lines of the <c>garbage</c> fault (1 without a count).</summary>
    public int GarbageLines => Find(FaultKind.Garbage)?.Amount ?? 0;

    /// <summary>Extra text deltas of the <c>flood</c> fault.</summary>
    public int FloodLines => Find(FaultKind.Flood)?.Amount ?? 0;

    public int GrowMebibytes => Find(FaultKind.Grow)?.Amount ?? 0;

    public int? StderrFloodBytes => Find(FaultKind.StderrFlood)?.Amount;

    public string? StderrNote => Find(FaultKind.StderrNote)?.Text;

    public int? ApiRetries => Find(FaultKind.ApiRetry)?.Amount;

    /// <summary>How the model call fails, if it does: <c>api-retry</c> ends as a server error once the retries are spent.</summary>
    public ModelErrorKind? ModelError =>
        Find(FaultKind.ModelError)?.Error ?? (Has(FaultKind.ApiRetry) ? ModelErrorKind.Server : null);

    private Fault? Find(FaultKind kind) => Array.Find(_faults, f => f.Kind == kind);
}
