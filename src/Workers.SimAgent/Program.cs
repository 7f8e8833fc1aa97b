using Workers.SimAgent;

// Dispatch only: the simulator's own --sim-* knobs are split off here; everything else is the real CLI's argv and goes to the mode.
Func<SimSettings, IReadOnlyList<string>, Task<int>>? run = args.Length == 0 ? null : args[0] switch
{
    "claude" => ClaudeMode.RunAsync,
    "acp" => AcpMode.RunAsync,
    "codex" => CodexMode.RunAsync,
    "plain" => PlainMode.RunAsync,
    _ => null,
};
if (run is null)
{
    Diagnostics.Raw("usage: Workers.SimAgent <claude|acp|codex|plain> [the real CLI's args...] [--sim-<knob> <value>]...");
    Diagnostics.Raw("see specs/simagent.md for knobs, faults and prompt directives");
    return 2;
}

if (!SimSettings.TryCreate(args[1..], Environment.GetEnvironmentVariable, out var settings, out var cliArgs, out var error))
{
    Diagnostics.Note(error);
    return 2;
}

SignalPolicy.Apply(settings.Faults);
GroupChild.StartIf(settings.SpawnChild);
return await run(settings, cliArgs);
