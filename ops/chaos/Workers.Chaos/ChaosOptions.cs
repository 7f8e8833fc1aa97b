namespace Workers.Chaos;

/// <summary>What a chaos run does and to which instance (<c>ops/chaos/README.md</c> lists the flags).</summary>
public sealed record ChaosOptions
{
    /// <summary>The service's base address.</summary>
    public required Uri Url { get; init; }

    /// <summary>A bearer token when the service requires one.</summary>
    public string? Token { get; init; }

    public string Profile { get; init; } = "sim-acp";

    /// <summary>How long producers keep starting conversations; kills go on until their last turn ended.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Producers stop starting turns once this many were accepted (null: only the duration bounds them).</summary>
    public int? MaxTurns { get; init; }

    /// <summary>Conversations running at once.</summary>
    public int Conversations { get; init; } = 8;

    public int TurnsPerConversation { get; init; } = 6;

    /// <summary>Share of turns that use a tool (<c>[[sim:permission]]</c>: the profile must allow <c>edit</c>/<c>Write</c>).</summary>
    public double ToolShare { get; init; } = 0.25;

    /// <summary>Appended to every prompt: per-turn sim directives such as <c>[[sim:tokens=20,token-interval-ms=20]]</c>.</summary>
    public string PromptSuffix { get; init; } = string.Empty;

    /// <summary>A round of agent kills every this long; zero: no agent kills.</summary>
    public TimeSpan KillInterval { get; init; } = TimeSpan.FromSeconds(0.3);

    /// <summary>Processes signalled per round.</summary>
    public int KillsPerRound { get; init; } = 2;

    /// <summary>Share of signals that are SIGSTOP (the rest SIGKILL).</summary>
    public double StopShare { get; init; } = 0.3;

    /// <summary>The service is SIGKILLed and restarted about this often (needs <see cref="Service"/>); zero: never.</summary>
    public TimeSpan ServiceKillInterval { get; init; } = TimeSpan.Zero;

    /// <summary>The local service this run starts, kills and restarts; null: the instance at <see cref="Url"/> runs elsewhere
    /// (its agents must still be on this host for the agent kills).</summary>
    public LocalService? Service { get; init; }

    /// <summary>The simulated agent's tool log (<c>SIM_TOOL_LOG</c>), read for repeated tool calls; null: not checked.</summary>
    public string? ToolLog { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>How long turns may take to end after the load stopped before they count as lost.</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Written to as the run goes (progress lines) and with the report at the end.</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;
}
