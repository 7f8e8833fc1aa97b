namespace Workers.SimAgent;

/// <summary>Paces the reply tokens and holds the mid-stream fault point, which every mode shares.</summary>
internal static class TokenPacer
{
    /// <summary>
    /// Calls <paramref name="emit"/> for each token, waiting the token interval between tokens (and before the first one when
    /// <paramref name="intervalBeforeFirst"/>). Cancellation is honoured only at token boundaries, as with a real stream.
    /// The mid-stream fault strikes once about half the tokens are out, and never before the first.
    /// </summary>
    public static async Task RunAsync(
        TurnPlan plan,
        IReadOnlyList<string> tokens,
        Action<int, string> emit,
        CancellationToken cancellationToken,
        bool intervalBeforeFirst = false)
    {
        var midPoint = Math.Max(1, tokens.Count / 2);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i > 0 || intervalBeforeFirst)
            {
                await SimDelay.MsAsync(plan.TokenIntervalMs, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            emit(i, tokens[i]);
            if (i + 1 == midPoint)
            {
                await StageGate.PassAsync(plan.Faults, FaultStage.MidStream);
            }
        }

        if (tokens.Count == 0)
        {
            await StageGate.PassAsync(plan.Faults, FaultStage.MidStream);
        }
    }
}
