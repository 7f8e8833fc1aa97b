using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Workers.SimAgent;

/// <summary>One injected fault, parsed from a spec such as <c>crash:mid-stream</c>, <c>oversized:70000</c> or <c>error:auth</c>.</summary>
/// <param name="Kind">What the fault does.</param>
/// <param name="Stage">For crash, crash-once, hang and stop: where it strikes.</param>
/// <param name="Amount">For oversized and stderr-flood: bytes; for exit: the exit code; for api-retry: the retry count; for
/// garbage and flood: the number of lines; for grow: MiB.</param>
/// <param name="Error">For error: how the model call fails.</param>
/// <param name="Text">For stderr-note: the word written.</param>
internal sealed record Fault(
    FaultKind Kind, FaultStage Stage = FaultStage.Startup, int Amount = 0, ModelErrorKind Error = ModelErrorKind.Auth, string? Text = null)
{
    public static bool TryParse(string spec, [NotNullWhen(true)] out Fault? fault, [NotNullWhen(false)] out string? error)
    {
        var text = spec.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var argument = colon < 0 ? null : text[(colon + 1)..];
        fault = name switch
        {
            "crash" or "crash-once" or "hang" or "stop" when FaultStageNames.TryParse(argument, out var stage) => new Fault(name switch
            {
                "crash" => FaultKind.Crash,
                "crash-once" => FaultKind.CrashOnce,
                "hang" => FaultKind.Hang,
                _ => FaultKind.Stop,
            }, stage),
            "oversized" or "stderr-flood" when TryParseCount(argument, out var bytes) =>
                new Fault(name == "oversized" ? FaultKind.Oversized : FaultKind.StderrFlood, Amount: bytes),
            "exit" when TryParseCount(argument, out var code) && code <= 255 => new Fault(FaultKind.Exit, Amount: code),
            "garbage" or "flood" when TryParseCount(argument, out var lines) && lines > 0 =>
                new Fault(name == "garbage" ? FaultKind.Garbage : FaultKind.Flood, Amount: lines),
            "grow" when TryParseCount(argument, out var mebibytes) && mebibytes is > 0 and <= 16384 =>
                new Fault(FaultKind.Grow, Amount: mebibytes),
            "api-retry" when TryParseCount(argument, out var retries) => new Fault(FaultKind.ApiRetry, Amount: retries),
            "error" when TryParseModelError(argument, out var kind) => new Fault(FaultKind.ModelError, Error: kind),
            "stderr-note" when IsWord(argument) => new Fault(FaultKind.StderrNote, Text: argument),
            _ when argument is null => SimpleFault(name),
            _ => null,
        };
        error = fault is null ? $"unknown or malformed fault '{text}'" : null;
        return fault is not null;
    }

    private static Fault? SimpleFault(string name) => name switch
    {
        "garbage" => new Fault(FaultKind.Garbage, Amount: 1),
        "half-json" => new Fault(FaultKind.HalfJson),
        "ignore-eof" => new Fault(FaultKind.IgnoreEof),
        "ignore-sigterm" => new Fault(FaultKind.IgnoreSigterm),
        "unknown-session" => new Fault(FaultKind.UnknownSession),
        "permission" => new Fault(FaultKind.Permission),
        "empty-first-chunk" => new Fault(FaultKind.EmptyFirstChunk),
        "invalid-utf8" => new Fault(FaultKind.InvalidUtf8),
        "stray-responses" => new Fault(FaultKind.StrayResponses),
        "foreign-session" => new Fault(FaultKind.ForeignSession),
        _ => null,
    };

    private static bool IsWord([NotNullWhen(true)] string? text) =>
        !string.IsNullOrEmpty(text) && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool TryParseCount(string? text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryParseModelError(string? text, out ModelErrorKind kind)
    {
        switch (text)
        {
            case "auth":
                kind = ModelErrorKind.Auth;
                return true;
            case "rate-limit":
                kind = ModelErrorKind.RateLimit;
                return true;
            case "server":
                kind = ModelErrorKind.Server;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
