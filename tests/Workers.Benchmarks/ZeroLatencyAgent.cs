using System.Globalization;

namespace Workers.Benchmarks;

/// <summary>The agent of the service-level targets: the simulated ACP agent with every <c>SIM_*</c> delay at 0 and a
/// two-token answer, so whatever a turn waits is the service's (and the agent's own bare processing), and compiled once at
/// start rather than tiered.</summary>
internal static class ZeroLatencyAgent
{
    public const string Profile = "bench-acp";

    public static Dictionary<string, string> Environment() => new()
    {
        ["SIM_STARTUP_MS"] = "0",
        ["SIM_SESSION_NEW_MS"] = "0",
        ["SIM_SESSION_LOAD_MS"] = "0",
        ["SIM_FIRST_TOKEN_MS"] = "0",
        ["SIM_CONTEXT_MS_PER_KTOKEN"] = "0",
        ["SIM_TURN_OVERHEAD_MS"] = "0",
        ["SIM_TOKENS"] = "2",
        ["SIM_TOKEN_INTERVAL_MS"] = "0",
        // The agent should cost next to nothing, as the agent the targets assume. With tiered compilation a simulator that
        // serves a few turns a second for its 100 turns (Pool:MaxTurnsPerProcess) never finishes tiering up: it spent ~11 ms
        // of CPU per turn, ~80 % of it in the JIT, against ~2 ms compiled once at full optimisation (and ~30 ms more CPU at
        // start). specs/performance.md, "Throughput".
        ["DOTNET_TieredCompilation"] = "0",
    };

    /// <summary>The service's configuration for one such profile; shipped profiles are disabled by <see cref="ServiceProcess"/>.
    /// An agent is recycled after <c>maxTurnsPerProcess</c> turns (<c>Pool:MaxTurnsPerProcess</c>, 100 by default): each
    /// recycle is an agent start, ~0.1 s of CPU for this one.</summary>
    public static Dictionary<string, string> ServiceSettings(int minReady, int maxProcesses, int maxQueuedTurns = 1000,
        int maxTurnsPerProcess = 100)
    {
        var settings = new Dictionary<string, string>
        {
            [$"Workers:Profiles:{Profile}:Family"] = "acp-json-rpc",
            [$"Workers:Profiles:{Profile}:Command"] = "Workers.SimAgent",
            [$"Workers:Profiles:{Profile}:Args:0"] = "acp",
            [$"Workers:Profiles:{Profile}:Pool:MinReady"] = minReady.ToString(CultureInfo.InvariantCulture),
            [$"Workers:Profiles:{Profile}:Pool:MaxReady"] = Math.Max(minReady, 1).ToString(CultureInfo.InvariantCulture),
            [$"Workers:Profiles:{Profile}:Pool:MaxProcesses"] = maxProcesses.ToString(CultureInfo.InvariantCulture),
            [$"Workers:Profiles:{Profile}:Pool:MaxTurnsPerProcess"] = maxTurnsPerProcess.ToString(CultureInfo.InvariantCulture),
            ["Workers:Service:MaxQueuedTurns"] = maxQueuedTurns.ToString(CultureInfo.InvariantCulture),
            // A stop after the run must not wait for turns still queued.
            ["Workers:Maintenance:DrainDeadline"] = "00:00:02",
        };
        foreach (var (name, value) in Environment())
        {
            settings[$"Workers:Profiles:{Profile}:Env:{name}"] = value;
        }

        return settings;
    }
}
