namespace Workers.SimAgent;

/// <summary>
/// Everything that shapes one turn: the process knobs with this prompt's directive overrides applied, the faults in force
/// (process faults plus the prompt's), and the prompt itself with and without directives.
/// </summary>
internal sealed class TurnPlan
{
    private TurnPlan(SimSettings settings, string prompt, PromptDirectives directives)
    {
        Prompt = prompt;
        CleanPrompt = directives.CleanText;
        Faults = settings.Faults.With(directives.Faults);
        Tokens = settings.Tokens;
        FirstTokenMs = settings.FirstTokenMs;
        TokenIntervalMs = settings.TokenIntervalMs;
        ContextMsPerKToken = settings.ContextMsPerKToken;
        TurnOverheadMs = settings.TurnOverheadMs;
        ApiRetryDelayMs = settings.ApiRetryDelayMs;
        ToolLog = settings.ToolLog;
        FileRequests = directives.FileRequests;
        OwnFileOperations = directives.OwnFileOperations;
    }

    /// <summary>The prompt as the host sent it; this is what the session stores.</summary>
    public string Prompt { get; }

    /// <summary>The prompt without directives; this is what the reply echoes.</summary>
    public string CleanPrompt { get; }

    public FaultPlan Faults { get; }

    /// <summary>The <c>tool-log</c> knob: where this turn's tool runs are logged (<see cref="ToolExecutionLog"/>).</summary>
    public string? ToolLog { get; }

    /// <summary>The prompt's <c>fs/*</c> requests (<see cref="FileRequest"/>).</summary>
    public IReadOnlyList<FileRequest> FileRequests { get; }

    /// <summary>The prompt's <c>[[sim-io:…]]</c> operations, which the agent does itself (<see cref="OwnFileOperation"/>).</summary>
    public IReadOnlyList<OwnFileOperation> OwnFileOperations { get; }

    public int Tokens { get; private set; }

    public double FirstTokenMs { get; private set; }

    public double TokenIntervalMs { get; private set; }

    public double ContextMsPerKToken { get; private set; }

    public double TurnOverheadMs { get; private set; }

    public double ApiRetryDelayMs { get; private set; }

    /// <summary>This turn's prompt size in simulator tokens.</summary>
    public int PromptTokens => TokenEstimate.Of(Prompt);

    public static TurnPlan Create(SimSettings settings, string prompt)
    {
        var directives = PromptDirectives.Parse(prompt);
        var plan = new TurnPlan(settings, prompt, directives);
        foreach (var problem in directives.Problems)
        {
            Diagnostics.Note($"ignoring prompt directive: {problem}");
        }

        foreach (var (name, value) in directives.Overrides)
        {
            if (!plan.TryOverride(name, value))
            {
                Diagnostics.Note($"ignoring prompt directive {name}={value}: not a per-turn knob or not a valid value");
            }
        }

        return plan;
    }

    /// <summary>First-token latency grows with the context the model has to read: a fixed part plus a per-1000-token part.</summary>
    public double FirstTokenDelayMs(int contextTokens) => FirstTokenMs + (ContextMsPerKToken * contextTokens / 1000.0);

    /// <summary>
    /// The reply's deltas: first one line per <see cref="OwnFileOperation"/>, in prompt order, each done here (every mode calls
    /// this once, right before its first token, when a real agent would act), then the echo of <see cref="ReplyText"/>. The
    /// lines are part of the reply, so they stream and are stored like the rest of it, and a test finds them at its start.
    /// </summary>
    public string[] ReplyTokens() => [.. OwnFileOperations.Select(o => o.Run()), .. ReplyText.Tokens(CleanPrompt, Tokens)];

    private bool TryOverride(string name, string value)
    {
        if (name == "tokens")
        {
            if (!KnobValue.TryParseCount(value, out var count))
            {
                return false;
            }

            Tokens = count;
            return true;
        }

        if (!KnobValue.TryParseMilliseconds(value, out var ms))
        {
            return false;
        }

        switch (name)
        {
            case "first-token-ms": FirstTokenMs = ms; break;
            case "token-interval-ms": TokenIntervalMs = ms; break;
            case "context-ms-per-ktoken": ContextMsPerKToken = ms; break;
            case "turn-overhead-ms": TurnOverheadMs = ms; break;
            case "api-retry-delay-ms": ApiRetryDelayMs = ms; break;
            default: return false;
        }

        return true;
    }
}
