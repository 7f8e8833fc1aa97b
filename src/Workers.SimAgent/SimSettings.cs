using System.Diagnostics.CodeAnalysis;

namespace Workers.SimAgent;

/// <summary>
/// The simulator's knobs. Each comes from <c>--sim-&lt;name&gt; &lt;value&gt;</c> (or <c>--sim-&lt;name&gt;=&lt;value&gt;</c>) or from the
/// environment variable <c>SIM_&lt;NAME&gt;</c> (dashes become underscores); a flag wins over the environment. Hosts under test
/// pass the real CLI's argv untouched, so the knobs must not collide with any real flag: hence the <c>--sim-</c> prefix.
/// </summary>
internal sealed class SimSettings
{
    private const string FlagPrefix = "--sim-";

    private static readonly string[] KnobNames =
    [
        "startup-ms", "session-new-ms", "session-load-ms", "turn-overhead-ms", "first-token-ms", "context-ms-per-ktoken",
        "tokens", "token-interval-ms", "session-dir", "load-session", "resume-session", "api-retry-delay-ms", "fault", "spawn-child",
        "tool-log", "close-session", "request-log",
    ];

    public double StartupMs { get; private set; }

    public double SessionNewMs { get; private set; }

    public double SessionLoadMs { get; private set; }

    public double TurnOverheadMs { get; private set; } = 2;

    public double FirstTokenMs { get; private set; }

    public double ContextMsPerKToken { get; private set; }

    public int Tokens { get; private set; } = 8;

    public double TokenIntervalMs { get; private set; }

    public string SessionDir { get; private set; } = DefaultSessionDir();

    public bool LoadSession { get; private set; } = true;

    public bool ResumeSession { get; private set; } = true;

    /// <summary>Start a child process in the simulator's own process group, as real CLIs (node plus a helper) do.</summary>
    public bool SpawnChild { get; private set; }

    public double ApiRetryDelayMs { get; private set; } = 200;

    /// <summary>A file each tool the simulator actually runs (permission allowed) is logged to, one JSON line per run; null: none.</summary>
    public string? ToolLog { get; private set; }

    /// <summary>Advertise <c>sessionCapabilities.close</c> and answer <c>session/close</c>; false: as an agent without it
    /// (-32601).</summary>
    public bool CloseSession { get; private set; } = true;

    /// <summary>A file every ACP request the simulator reads is logged to, one JSON line each; null: none.</summary>
    public string? RequestLog { get; private set; }

    public FaultPlan Faults { get; private set; } = FaultPlan.None;

    /// <summary>
    /// Splits <paramref name="args"/> into knobs and the real CLI's arguments, and reads the environment (an empty variable counts
    /// as unset, so a harness can blank one out).
    /// </summary>
    public static bool TryCreate(
        IReadOnlyList<string> args,
        Func<string, string?> environment,
        [NotNullWhen(true)] out SimSettings? settings,
        out List<string> cliArgs,
        [NotNullWhen(false)] out string? error)
    {
        settings = null;
        cliArgs = [];
        var flags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith(FlagPrefix, StringComparison.Ordinal))
            {
                cliArgs.Add(args[i]);
                continue;
            }

            var nameAndValue = args[i][FlagPrefix.Length..];
            var equals = nameAndValue.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? nameAndValue : nameAndValue[..equals];
            string value;
            if (equals >= 0)
            {
                value = nameAndValue[(equals + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                error = $"--sim-{name} needs a value";
                return false;
            }

            if (!KnobNames.Contains(name))
            {
                error = $"unknown knob --sim-{name} (known: {string.Join(", ", KnobNames)})";
                return false;
            }

            if (!flags.TryGetValue(name, out var values))
            {
                flags[name] = values = [];
            }

            values.Add(value);
        }

        var result = new SimSettings();
        foreach (var name in KnobNames)
        {
            var variable = "SIM_" + name.Replace('-', '_').ToUpperInvariant();
            var values = flags.TryGetValue(name, out var fromFlags) ? fromFlags
                : environment(variable) is { Length: > 0 } fromEnvironment ? [fromEnvironment]
                : null;
            if (values is not null && !result.TrySet(name, values, out error))
            {
                return false;
            }
        }

        // Known only once every knob is read: the faults and the session directory may come in any order.
        result.Faults = result.Faults.MarkingIn(result.SessionDir);
        settings = result;
        error = null;
        return true;
    }

    private bool TrySet(string name, List<string> values, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (name == "fault")
        {
            // The only knob that accumulates: --sim-fault may be repeated, and each value may be a comma-separated list.
            if (!FaultPlan.TryParse(values, out var plan, out error))
            {
                return false;
            }

            Faults = plan;
            return true;
        }

        var value = values[^1];
        switch (name)
        {
            case "session-dir":
                if (value.Length > 0)
                {
                    SessionDir = Path.GetFullPath(value);
                    return true;
                }

                break;
            case "tokens":
                if (KnobValue.TryParseCount(value, out var count))
                {
                    Tokens = count;
                    return true;
                }

                break;
            case "tool-log":
                if (value.Length > 0)
                {
                    ToolLog = Path.GetFullPath(value);
                    return true;
                }

                break;
            case "request-log":
                if (value.Length > 0)
                {
                    RequestLog = Path.GetFullPath(value);
                    return true;
                }

                break;
            case "close-session":
                if (KnobValue.TryParseBool(value, out var close))
                {
                    CloseSession = close;
                    return true;
                }

                break;
            case "load-session":
                if (KnobValue.TryParseBool(value, out var load))
                {
                    LoadSession = load;
                    return true;
                }

                break;
            case "resume-session":
                if (KnobValue.TryParseBool(value, out var resume))
                {
                    ResumeSession = resume;
                    return true;
                }

                break;
            case "spawn-child":
                if (KnobValue.TryParseBool(value, out var spawnChild))
                {
                    SpawnChild = spawnChild;
                    return true;
                }

                break;
            default:
                if (KnobValue.TryParseMilliseconds(value, out var ms))
                {
                    SetMilliseconds(name, ms);
                    return true;
                }

                break;
        }

        error = $"invalid value '{value}' for knob {name}";
        return false;
    }

    private void SetMilliseconds(string name, double ms)
    {
        switch (name)
        {
            case "startup-ms": StartupMs = ms; break;
            case "session-new-ms": SessionNewMs = ms; break;
            case "session-load-ms": SessionLoadMs = ms; break;
            case "turn-overhead-ms": TurnOverheadMs = ms; break;
            case "first-token-ms": FirstTokenMs = ms; break;
            case "context-ms-per-ktoken": ContextMsPerKToken = ms; break;
            case "token-interval-ms": TokenIntervalMs = ms; break;
            case "api-retry-delay-ms": ApiRetryDelayMs = ms; break;
            default: throw new System.Diagnostics.UnreachableException($"{name} is not a millisecond knob");
        }
    }

    private static string DefaultSessionDir()
    {
        var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".sim-agent", "sessions");
    }
}
