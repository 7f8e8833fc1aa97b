using System.Text.Json.Nodes;

namespace Workers.SimAgent;

/// <summary>A plain-text CLI: prompt on stdin to EOF, reply tokens streamed to stdout as bare text, then a newline and exit 0.</summary>
internal static class PlainMode
{
    public static async Task<int> RunAsync(SimSettings settings, IReadOnlyList<string> cliArgs)
    {
        await Startup.RunAsync(settings);
        var plan = TurnPlan.Create(settings, (await StdinLines.ReadToEndAsync()).TrimEnd('\r', '\n'));
        var writer = ProtocolWriter.ForStdout();

        await StageGate.PassAsync(plan.Faults, FaultStage.SessionInit);
        TurnStderr.Write(plan.Faults);
        await GroupChild.RelayAsync(CancellationToken.None);
        await SimDelay.MsAsync(plan.FirstTokenDelayMs(0), CancellationToken.None);
        if (plan.Faults.ModelError is { } error)
        {
            await SimDelay.MsAsync((plan.Faults.ApiRetries ?? 0) * plan.ApiRetryDelayMs, CancellationToken.None);
            Diagnostics.Raw(error switch
            {
                ModelErrorKind.Auth => "Error: authentication failed (401 Unauthorized)",
                ModelErrorKind.RateLimit => "API Error: 429 rate_limit_error",
                _ => "API Error: 500 Internal server error",
            });
            return 1;
        }

        await StageGate.PassAsync(plan.Faults, FaultStage.BeforeFirstToken);
        PreTokenFaults.Emit(writer, plan.Faults, filler => new JsonObject { ["type"] = "oversized", ["text"] = filler }, textDelta: null);
        await TokenPacer.RunAsync(plan, plan.ReplyTokens(), (_, token) => writer.WriteRaw(token), CancellationToken.None);
        writer.WriteRaw("\n");

        // ignore-eof here means "does not exit when done", the nearest thing for a CLI whose input always ends at EOF.
        if (settings.Faults.Has(FaultKind.IgnoreEof))
        {
            await SimDelay.ForeverAsync();
        }

        return plan.Faults.ExitCode ?? 0;
    }
}
